//! What a handler may use besides its state.

use std::any::Any;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::clock::Sleep;
use crate::event::{CustomEvent, EventKind, StopReason};
use crate::id::ProcessId;
use crate::kernel::addr::Addr;
use crate::kernel::process::{Handle, Process};
use crate::kernel::spawn::spawn;
use crate::kernel::tree::{AnyProcess, Core};
use crate::kernel::watch::{self, Watcher};
use crate::options::SpawnOptions;

/// A handler's view of its process: its own handle, the clock, children,
/// stopping, events.
///
/// A `#[public]` method receives it by declaring a parameter
/// `ctx: &mut Ctx<Self>` anywhere in its list; callers do not pass it.
///
/// ```
/// use phyx::prelude::*;
/// use std::time::Duration;
///
/// #[derive(Default)]
/// struct Ticker { ticks: u32 }
///
/// #[process]
/// impl Ticker {
///     #[public]
///     fn tick(&mut self, ctx: &mut Ctx<Self>) -> Result<(), phyx::SendError> {
///         self.ticks += 1;
///         ctx.myself().tick().send_after(Duration::from_secs(1))?;
///         Ok(())
///     }
/// }
/// ```
pub struct Ctx<T> {
    // Untyped, so that `Ctx<Self>` is well-formed in the signature of a
    // generic impl whose parameters lack the bounds a process needs.
    node: Arc<dyn AnyProcess>,
    stop_requested: bool,
    ending: Option<StopReason>,
    /// What a layer above keeps for this instance: the journal of an
    /// event-sourced process. Typed there; the kernel does not know it.
    #[cfg_attr(
        not(feature = "journal"),
        allow(dead_code, reason = "only the journal layer keeps a session")
    )]
    pub(crate) session: Option<Box<dyn Any + Send + Sync>>,
    process: PhantomData<fn() -> T>,
}

impl<T> Ctx<T> {
    pub(crate) fn new(node: Arc<dyn AnyProcess>) -> Self {
        Self {
            node,
            stop_requested: false,
            ending: None,
            session: None,
            process: PhantomData,
        }
    }

    fn core(&self) -> &Core {
        self.node.core()
    }

    /// Empties the tables of the `#[cache]` methods (by their places among
    /// the cached methods) that the method about to run invalidates:
    /// `#[cache(invalidated_by = ...)]`.
    #[doc(hidden)]
    pub fn __invalidate(&self, cached: &[usize]) {
        if let Some(caches) = self.core().caches.get() {
            for &index in cached {
                caches.clear(index);
            }
        }
    }

    /// This process's id.
    pub fn id(&self) -> ProcessId {
        self.core().id
    }

    /// This process's name.
    pub fn name(&self) -> &str {
        &self.core().name
    }

    /// The current instant on the system's clock.
    pub fn now(&self) -> Instant {
        self.core().system.clock.now()
    }

    /// Waits `duration` on the system's clock. The process handles no other
    /// message meanwhile.
    pub fn sleep(&self, duration: Duration) -> Sleep {
        self.core().system.clock.sleep(duration)
    }

    /// Waits until `deadline` on the system's clock.
    pub fn sleep_until(&self, deadline: Instant) -> Sleep {
        self.core().system.clock.sleep_until(deadline)
    }

    /// Starts a child process. It stops when this process stops, crashes or
    /// restarts (children first), and it is restarted by its own policy.
    pub fn spawn<C: Process>(&self, factory: impl Fn() -> C + Send + Sync + 'static) -> C::Ref {
        self.spawn_with(factory, SpawnOptions::new())
    }

    /// Starts a child process with options; see [`spawn`](Self::spawn).
    pub fn spawn_with<C: Process>(
        &self,
        factory: impl Fn() -> C + Send + Sync + 'static,
        options: SpawnOptions,
    ) -> C::Ref {
        spawn(&self.core().system, Some(self.node.clone()), factory, options)
    }

    /// Stops this process normally once the current handler returns
    /// ([`StopReason::Normal`](crate::StopReason::Normal)). Queued messages
    /// are not handled; their callers get
    /// [`CallError::Stopped`](crate::CallError::Stopped). Only a
    /// [`Restart::Permanent`](crate::Restart::Permanent) process is
    /// restarted after a normal stop.
    pub fn stop(&mut self) {
        self.stop_requested = true;
    }

    pub(crate) fn stop_requested(&self) -> bool {
        self.stop_requested
    }

    /// Ends this instance as a failure once the current handler returns,
    /// so that the parent decides (a supervisor escalating).
    pub(crate) fn fail(&mut self, reason: Arc<str>) {
        self.ending = Some(StopReason::Escalated { reason });
    }

    /// Ends this instance once the current handler returns, for `reason`
    /// (a crash, so that its restart policy restarts it).
    #[cfg_attr(
        not(feature = "journal"),
        allow(dead_code, reason = "only a failed journal ends an instance so")
    )]
    pub(crate) fn end_instance(&mut self, reason: StopReason) {
        self.ending.get_or_insert(reason);
    }

    pub(crate) fn take_ending(&mut self) -> Option<StopReason> {
        self.ending.take()
    }

    pub(crate) fn node(&self) -> &Arc<dyn AnyProcess> {
        &self.node
    }

    /// Reports a user event of this process, next to its lifecycle events
    /// ([`EventKind::Custom`](crate::event::EventKind::Custom)).
    pub fn emit<E: Any + fmt::Debug + Send + Sync>(&self, event: E) {
        self.core().publish(EventKind::Custom(CustomEvent::new(event)));
    }
}

impl<T: Process> Ctx<T> {
    /// This process's own handle, e.g. to schedule messages to itself.
    pub fn myself(&self) -> T::Ref {
        let addr = Addr::<T::Message>::of(self.node.clone()).expect("a context belongs to a process of its own type");
        T::Ref::__from_addr(addr)
    }

    /// Watches another process: once it stops for good (stopped, its
    /// restart limit reached, given up by its supervisor), this process's
    /// `#[on_down]` hook runs with a [`Down`](crate::Down) that says which
    /// process and why, as a message of this process, in mailbox order. A
    /// restart of the watched process is not a stop and delivers nothing.
    ///
    /// - A process that is gone already delivers its `Down` at once (it is
    ///   queued behind the current handler).
    /// - Watching the same process twice is one watch, with one `Down`;
    ///   one [`unwatch`](Self::unwatch) ends it.
    /// - The `Down` is put in the mailbox past its capacity, whatever the
    ///   overflow policy: it is never rejected nor dropped, and at most one
    ///   comes per watched process.
    /// - Watches belong to this instance of the process, like Erlang's
    ///   monitors: when it crashes or stops, they end, and the next
    ///   instance, built fresh by the factory, watches again if it wants to
    ///   (in its `#[on_start]`, say). A `Down` queued before the instance
    ///   ended is handled by the next one, as every queued message is.
    /// - A watcher that is stopping gets no `Down`, so during
    ///   [`System::shutdown`](crate::System::shutdown), which stops every
    ///   process, no `#[on_down]` hook runs. Code outside processes waits
    ///   with [`Handle::stopped`](crate::Handle::stopped) instead.
    ///
    /// Watching costs nothing on the calls to either process: the watch is
    /// read once, when the watched process stops for good.
    ///
    /// Only a process with an `#[on_down]` hook may watch (the
    /// [`Watcher`](crate::Watcher) bound): without one, this is a compile
    /// error.
    ///
    /// # Examples
    ///
    /// ```
    /// use phyx::prelude::*;
    ///
    /// #[derive(Default)]
    /// struct Cache;
    ///
    /// #[process]
    /// impl Cache {
    ///     #[public]
    ///     fn get(&self, key: String) -> Option<String> { None }
    /// }
    ///
    /// struct Frontend { cache: CacheRef, cache_up: bool }
    ///
    /// #[process]
    /// impl Frontend {
    ///     #[on_start]
    ///     fn watch_cache(&mut self, ctx: &mut Ctx<Self>) {
    ///         ctx.watch(&self.cache);
    ///     }
    ///
    ///     #[on_down]
    ///     fn cache_down(&mut self, down: Down) {
    ///         self.cache_up = false;
    ///     }
    ///
    ///     #[public]
    ///     fn cache_up(&self) -> bool { self.cache_up }
    /// }
    /// ```
    pub fn watch<H: Handle>(&self, handle: &H)
    where
        T: Watcher,
    {
        watch::watch::<T>(&self.node, handle.__addr().node());
    }

    /// Ends a watch made with [`watch`](Self::watch); a `Down` already
    /// queued is still handled. Nothing happens if there was no watch.
    pub fn unwatch<H: Handle>(&self, handle: &H) {
        watch::unwatch(&self.node, &handle.__addr().node());
    }
}

impl<T> fmt::Debug for Ctx<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ctx")
            .field("id", &self.id())
            .field("name", &self.name())
            .field("stop_requested", &self.stop_requested)
            .finish()
    }
}
