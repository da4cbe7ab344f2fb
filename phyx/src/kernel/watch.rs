//! Who hears of a process's stop for good: the processes watching it
//! (`ctx.watch`), the registry's name for it, and `Handle::stopped`.
//!
//! Nothing here is touched by a tell or an ask: the list is written when a
//! watch is made or removed, and read once, when the process stops for good
//! (`run::finish`), after which it stays closed and keeps the `Down`.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use crate::event::StopReason;
use crate::id::ProcessId;
use crate::kernel::process::Process;
use crate::kernel::tree::AnyProcess;

/// A watched process has stopped for good; what an `#[on_down]` hook
/// receives.
///
/// A process watches another with [`Ctx::watch`](crate::Ctx::watch). When
/// the watched process stops for good (stopped, its restart limit reached,
/// its supervisor gave up on it, or the system shut down) its watchers'
/// `#[on_down]` hooks run, each as a message of the watcher. A restart is
/// not a stop for good and delivers nothing.
///
/// # Examples
///
/// ```
/// use phyx::prelude::*;
///
/// #[derive(Default)]
/// struct Worker;
///
/// #[process]
/// impl Worker {
///     #[public]
///     fn work(&self) {}
/// }
///
/// #[derive(Default)]
/// struct Monitor { gone: Vec<String> }
///
/// #[process]
/// impl Monitor {
///     #[public]
///     fn watch(&mut self, ctx: &mut Ctx<Self>, worker: WorkerRef) {
///         ctx.watch(&worker);
///     }
///
///     #[public]
///     fn gone(&self) -> Vec<String> { self.gone.clone() }
///
///     #[on_down]
///     fn worker_down(&mut self, down: Down) {
///         self.gone.push(format!("{} ({})", down.name(), down.reason()));
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), phyx::CallError> {
/// let system = System::new();
/// let worker = system.spawn(|| Worker);
/// let monitor = system.spawn(Monitor::default);
/// monitor.watch(worker.clone()).await?;
/// Handle::stop(&worker).await;
/// // The `Down` was queued before `stop` resolved, so it is handled first.
/// assert_eq!(monitor.gone().await?, ["Worker (shutdown)"]);
/// # system.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Down {
    /// The process that stopped.
    pub id: ProcessId,
    /// Its name.
    pub name: Arc<str>,
    /// Why it stopped.
    pub reason: StopReason,
}

impl Down {
    /// The process that stopped.
    pub fn id(&self) -> ProcessId {
        self.id
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Why it stopped.
    pub fn reason(&self) -> &StopReason {
        &self.reason
    }
}

impl fmt::Display for Down {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "process `{}` ({}) is down: {}", self.name, self.id, self.reason)
    }
}

/// A process that can watch others: its `#[process]` impl has an
/// `#[on_down]` hook, which the macro implements this trait for.
///
/// [`Ctx::watch`](crate::Ctx::watch) requires it, so that watching without
/// a hook to hear the `Down` is a compile error instead of a `Down` lost.
#[diagnostic::on_unimplemented(
    message = "`{Self}` watches a process but has no `#[on_down]` hook to hear that it stopped",
    label = "`{Self}` has no `#[on_down]` hook",
    note = "add `#[on_down] fn peer_down(&mut self, down: phyx::Down) {{ .. }}` to the `#[process]` impl of `{Self}`"
)]
pub trait Watcher: Process {
    #[doc(hidden)]
    fn __down(down: Down) -> Self::Message;
}

/// Who a watch entry belongs to; one entry per key, so a process watching
/// another twice hears one `Down`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum WatchKey {
    /// A watching process.
    Process(ProcessId),
    /// The registry's name for the process.
    Registry,
}

/// What to do once the process is down; run by the stopping process's
/// task, so it must not block.
pub(crate) type OnDown = Box<dyn FnOnce(&Down) + Send>;

/// The watches of one process, and what came of them.
#[derive(Default)]
pub(crate) struct Watchers {
    state: Mutex<State>,
}

enum State {
    Open(Vec<(WatchKey, OnDown)>),
    /// Stopped for good: new watches hear this at once.
    Closed(Down),
}

impl Default for State {
    fn default() -> Self {
        Self::Open(Vec::new())
    }
}

/// The outcome of [`Watchers::add`].
pub(crate) enum Watched {
    /// Watching from now on.
    Now,
    /// This key was watching already; `on_down` is dropped.
    Already,
    /// The process is gone; `on_down` comes back, unrun.
    Gone(Down, OnDown),
}

impl Watchers {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn add(&self, key: WatchKey, on_down: OnDown) -> Watched {
        match &mut *self.lock() {
            State::Closed(down) => Watched::Gone(down.clone(), on_down),
            State::Open(watches) if watches.iter().any(|(k, _)| *k == key) => Watched::Already,
            State::Open(watches) => {
                watches.push((key, on_down));
                Watched::Now
            }
        }
    }

    /// Removes `key`'s watch; whether there was one.
    pub(crate) fn remove(&self, key: WatchKey) -> bool {
        match &mut *self.lock() {
            State::Closed(_) => false,
            State::Open(watches) => {
                let before = watches.len();
                watches.retain(|(k, _)| *k != key);
                watches.len() < before
            }
        }
    }

    /// Closes the list with `down` and runs every watch, outside the lock
    /// (a watch may take other locks, the registry's).
    pub(crate) fn close(&self, down: &Down) {
        let watches = match std::mem::replace(&mut *self.lock(), State::Closed(down.clone())) {
            State::Open(watches) => watches,
            State::Closed(_) => Vec::new(),
        };
        for (_, on_down) in watches {
            crate::panic::quietly(|| on_down(down));
        }
    }

    /// How many processes watch this one.
    #[cfg_attr(
        not(feature = "test-util"),
        allow(dead_code, reason = "read by `phyx::testing` only")
    )]
    pub(crate) fn processes(&self) -> usize {
        match &*self.lock() {
            State::Closed(_) => 0,
            State::Open(watches) => watches
                .iter()
                .filter(|(key, _)| matches!(key, WatchKey::Process(_)))
                .count(),
        }
    }

    /// The `Down`, once the process has stopped for good.
    pub(crate) fn down(&self) -> Option<Down> {
        match &*self.lock() {
            State::Closed(down) => Some(down.clone()),
            State::Open(_) => None,
        }
    }
}

/// The processes one instance of a process watches, to unwatch when the
/// instance ends: watches belong to the instance that made them.
#[derive(Default)]
pub(crate) struct Watching {
    watched: Mutex<Vec<Weak<dyn AnyProcess>>>,
}

impl Watching {
    fn lock(&self) -> MutexGuard<'_, Vec<Weak<dyn AnyProcess>>> {
        self.watched.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn insert(&self, node: &Arc<dyn AnyProcess>) {
        let mut watched = self.lock();
        // Those gone since are dropped here, so a watcher of many
        // short-lived processes does not grow without bound.
        watched.retain(|weak| weak.upgrade().is_some_and(|node| node.core().watchers.down().is_none()));
        if !watched
            .iter()
            .any(|weak| std::ptr::addr_eq(weak.as_ptr(), Arc::as_ptr(node)))
        {
            watched.push(Arc::downgrade(node));
        }
    }

    fn remove(&self, node: &Arc<dyn AnyProcess>) {
        self.lock()
            .retain(|weak| !std::ptr::addr_eq(weak.as_ptr(), Arc::as_ptr(node)));
    }

    /// Ends every watch of the instance that made them.
    pub(crate) fn clear(&self, watcher: ProcessId) {
        let watched = std::mem::take(&mut *self.lock());
        for node in watched.iter().filter_map(Weak::upgrade) {
            node.core().watchers.remove(WatchKey::Process(watcher));
        }
    }
}

/// `watcher` watches `watched`: a `Down` reaches its mailbox once
/// `watched` stops for good, at once if it has.
pub(crate) fn watch<T: Watcher>(watcher: &Arc<dyn AnyProcess>, watched: Arc<dyn AnyProcess>) {
    let id = watcher.core().id;
    let weak = Arc::downgrade(watcher);
    let on_down: OnDown = Box::new(move |down: &Down| {
        if let Some(watcher) = weak.upgrade() {
            deliver::<T>(&watcher, down);
        }
    });
    match watched.core().watchers.add(WatchKey::Process(id), on_down) {
        Watched::Now => watcher.core().watching.insert(&watched),
        Watched::Already => {}
        Watched::Gone(down, on_down) => on_down(&down),
    }
}

/// Ends `watcher`'s watch of `watched`, if there was one.
pub(crate) fn unwatch(watcher: &Arc<dyn AnyProcess>, watched: &Arc<dyn AnyProcess>) {
    watched.core().watchers.remove(WatchKey::Process(watcher.core().id));
    watcher.core().watching.remove(watched);
}

/// Puts a `Down` in the watcher's mailbox past its capacity (a watcher
/// gets at most one per process it watches, so they are bounded), unless
/// the watcher is stopping: then it would not handle it anyway, and during
/// a system shutdown that is every watcher.
fn deliver<T: Watcher>(watcher: &Arc<dyn AnyProcess>, down: &Down) {
    let core = watcher.core();
    if core.stop_requested() || core.system.shutting_down.is_raised() {
        return;
    }
    if let Some(addr) = crate::kernel::addr::Addr::<T::Message>::of(watcher.clone()) {
        // A closed mailbox gives it back: the watcher stopped meanwhile.
        let _ = addr.requeue(T::__down(down.clone()));
    }
}

/// Why the process behind `node` stopped, once it has stopped for good.
pub(crate) async fn stopped(node: Arc<dyn AnyProcess>) -> StopReason {
    node.core().stopped().await;
    node.core()
        .watchers
        .down()
        .map_or(StopReason::Shutdown, |down| down.reason)
}
