//! What a handler may use besides its state.

use std::any::Any;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::clock::Sleep;
use crate::event::{CustomEvent, EventKind};
use crate::id::ProcessId;
use crate::kernel::addr::Addr;
use crate::kernel::process::{Handle, Process};
use crate::kernel::spawn::spawn;
use crate::kernel::tree::{AnyProcess, Core};
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
    failure: Option<Arc<str>>,
    process: PhantomData<fn() -> T>,
}

impl<T> Ctx<T> {
    pub(crate) fn new(node: Arc<dyn AnyProcess>) -> Self {
        Self {
            node,
            stop_requested: false,
            failure: None,
            process: PhantomData,
        }
    }

    fn core(&self) -> &Core {
        self.node.core()
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
        self.failure = Some(reason);
    }

    pub(crate) fn take_failure(&mut self) -> Option<Arc<str>> {
        self.failure.take()
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
