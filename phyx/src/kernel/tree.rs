//! The part of a process every other part may see without knowing its
//! type: id, name, status, stop signal, children.

use std::any::Any;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Instant;

use tokio::sync::Notify;

use crate::cache::Caches;
use crate::event::EventKind;
use crate::id::ProcessId;
use crate::kernel::health::{HealthSlot, Pending};
use crate::kernel::link::{Link, Supervise};
use crate::kernel::process::{PoolStatus, Status};
use crate::kernel::system::SystemInner;
use crate::kernel::watch::{Watchers, Watching};
use crate::resilience::MethodGuard;

/// A process in the tree, whatever its type.
pub(crate) trait AnyProcess: Send + Sync + 'static {
    fn core(&self) -> &Core;

    /// Ends this instance (as a stop would) but keeps the process, to be
    /// restarted when its supervisor says so.
    fn recycle(&self);

    /// Ends a process whose task never started.
    fn abandon(self: Arc<Self>);

    /// Messages waiting in its mailbox.
    fn queued(&self) -> usize;

    /// The concrete process behind this node, for typed access.
    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync>;

    /// Asks the process to stop for good, from outside.
    fn request_stop(&self);

    /// Queues its `#[health_check]`, past the mailbox's capacity, unless
    /// one is queued already: the check in flight. `None` for a process
    /// without a check.
    fn ask_health(&self) -> Option<Arc<Pending>>;

    /// Whether its impl has a `#[health_check]`.
    fn has_health_check(&self) -> bool;

    /// Crashes the process as if a handler had panicked with `message`,
    /// once it is not handling a message.
    #[cfg(feature = "test-util")]
    fn inject_crash(&self, message: Arc<str>);
}

/// A pool's members as its router keeps them (the router is typed, the
/// core is not).
pub(crate) trait PoolView: Send + Sync + 'static {
    fn status(&self) -> PoolStatus;
}

pub(crate) struct Core {
    pub(crate) id: ProcessId,
    pub(crate) name: Arc<str>,
    pub(crate) system: Arc<SystemInner>,
    pub(crate) parent: Option<Arc<dyn AnyProcess>>,
    pub(crate) children: Children,
    status: AtomicU8,
    busy: AtomicBool,
    stop: Flag,
    done: Flag,
    recycle: Flag,
    crash: Mutex<Option<Arc<str>>>,
    /// For a child of a supervisor: where it reports the end of an instance.
    pub(crate) link: OnceLock<Link>,
    /// Rate limits and circuit breakers of its methods.
    pub(crate) guards: OnceLock<Vec<Arc<MethodGuard>>>,
    /// The replies its `#[cache]` methods keep for its callers.
    pub(crate) caches: OnceLock<Caches>,
    /// For a supervisor: its children and strategy.
    pub(crate) supervision: OnceLock<Arc<dyn Supervise>>,
    /// For a pool's router: its members, for `Handle::pool_status`.
    pub(crate) pool: OnceLock<Arc<dyn PoolView>>,
    /// The calls its `#[idempotent]` methods have seen, kept across
    /// restarts; set at the first such call (or recovery). Typed in
    /// `idempotent/`; the kernel does not know it.
    pub(crate) idempotency: OnceLock<Arc<dyn Any + Send + Sync>>,
    /// Who hears of its stop for good; read only then.
    pub(crate) watchers: Watchers,
    /// What its current instance watches; cleared when the instance ends.
    pub(crate) watching: Watching,
    /// Its health check in flight, for `System::health`.
    pub(crate) health: HealthSlot,
    /// Instances started so far, for the view of the running system.
    instances: AtomicU32,
    /// When its current instance started serving; `None` when it is not.
    serving_since: Mutex<Option<Instant>>,
}

impl Core {
    pub(crate) fn new(
        id: ProcessId,
        name: Arc<str>,
        system: Arc<SystemInner>,
        parent: Option<Arc<dyn AnyProcess>>,
    ) -> Self {
        Self {
            id,
            name,
            system,
            parent,
            children: Children::default(),
            status: AtomicU8::new(Status::Starting.as_u8()),
            busy: AtomicBool::new(false),
            stop: Flag::default(),
            done: Flag::default(),
            recycle: Flag::default(),
            crash: Mutex::new(None),
            link: OnceLock::new(),
            guards: OnceLock::new(),
            caches: OnceLock::new(),
            supervision: OnceLock::new(),
            pool: OnceLock::new(),
            idempotency: OnceLock::new(),
            watchers: Watchers::default(),
            watching: Watching::default(),
            health: HealthSlot::default(),
            instances: AtomicU32::new(0),
            serving_since: Mutex::new(None),
        }
    }

    /// Counts an instance starting.
    pub(crate) fn instance_started(&self) {
        self.instances.fetch_add(1, Ordering::Relaxed);
    }

    /// How many times it restarted: instances started after the first.
    pub(crate) fn restarts(&self) -> u32 {
        self.instances.load(Ordering::Relaxed).saturating_sub(1)
    }

    /// Records when the current instance started serving (`Some`) or
    /// stopped (`None`).
    pub(crate) fn set_serving_since(&self, since: Option<Instant>) {
        *self.serving_since.lock().unwrap_or_else(PoisonError::into_inner) = since;
    }

    pub(crate) fn serving_since(&self) -> Option<Instant> {
        *self.serving_since.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// This core's address: who it is, for comparing, never followed.
    pub(crate) fn address(&self) -> usize {
        std::ptr::from_ref(self).addr()
    }

    /// Publishes an event of this process.
    pub(crate) fn publish(&self, kind: EventKind) {
        self.system.publish(self.id, &self.name, kind);
    }

    pub(crate) fn status(&self) -> Status {
        Status::from_u8(self.status.load(Ordering::Acquire))
    }

    pub(crate) fn set_status(&self, status: Status) {
        self.status.store(status.as_u8(), Ordering::Release);
    }

    /// Marks whether a handler is running, for pools choosing a member.
    pub(crate) fn set_busy(&self, busy: bool) {
        self.busy.store(busy, Ordering::Relaxed);
    }

    pub(crate) fn is_busy(&self) -> bool {
        self.busy.load(Ordering::Relaxed)
    }

    /// Crashes the current instance from outside once it is not handling
    /// a message (with [`Mailbox::poke`](crate::mailbox::Mailbox::poke)):
    /// the test kit's `crash`, and an isolated process whose OS process
    /// died while it was idle.
    #[cfg(any(feature = "test-util", feature = "isolated"))]
    pub(crate) fn set_crash(&self, message: Arc<str>) {
        *self.crash.lock().unwrap_or_else(PoisonError::into_inner) = Some(message);
    }

    pub(crate) fn crash_pending(&self) -> bool {
        self.crash.lock().unwrap_or_else(PoisonError::into_inner).is_some()
    }

    /// A crash injected from outside, if one is pending.
    pub(crate) fn take_crash(&self) -> Option<Arc<str>> {
        self.crash.lock().unwrap_or_else(PoisonError::into_inner).take()
    }

    pub(crate) fn raise_stop(&self) {
        self.stop.raise();
    }

    pub(crate) fn stop_requested(&self) -> bool {
        self.stop.is_raised()
    }

    /// Resolves once a stop (or a recycle) has been requested.
    ///
    /// It waits on the stop flag alone, which a recycle also wakes: one
    /// registration instead of two, in a future that is part of every
    /// message being handled, and so of every idle process's size.
    pub(crate) async fn stopping(&self) {
        self.stop.raised_or(&self.recycle).await;
    }

    /// Resolves once a stop for good has been requested.
    pub(crate) async fn stopping_for_good(&self) {
        self.stop.raised().await;
    }

    pub(crate) fn raise_recycle(&self) {
        self.recycle.raise();
        self.stop.wake();
    }

    /// Whether a recycle was requested and not yet taken.
    pub(crate) fn recycle_pending(&self) -> bool {
        self.recycle.is_raised()
    }

    /// Whether this instance was recycled; clears the request.
    pub(crate) fn take_recycle(&self) -> bool {
        self.recycle.lower()
    }

    pub(crate) fn mark_stopped(&self) {
        self.set_status(Status::Stopped);
        self.done.raise();
    }

    /// Resolves once the process has stopped for good.
    pub(crate) async fn stopped(&self) {
        self.done.raised().await;
    }

    /// The registry this process is listed in.
    pub(crate) fn siblings(&self) -> &Children {
        match &self.parent {
            Some(parent) => &parent.core().children,
            None => &self.system.root,
        }
    }
}

/// A one-way latch that can be awaited.
#[derive(Default)]
pub(crate) struct Flag {
    raised: AtomicBool,
    notify: Notify,
}

impl Flag {
    pub(crate) fn raise(&self) {
        self.raise_once();
    }

    /// Raises the flag; returns whether this call raised it (it was down).
    pub(crate) fn raise_once(&self) -> bool {
        let first = !self.raised.swap(true, Ordering::AcqRel);
        self.notify.notify_waiters();
        first
    }

    /// Lowers the flag again; returns whether it was raised.
    pub(crate) fn lower(&self) -> bool {
        self.raised.swap(false, Ordering::AcqRel)
    }

    pub(crate) fn is_raised(&self) -> bool {
        self.raised.load(Ordering::Acquire)
    }

    pub(crate) async fn raised(&self) {
        self.raised_or(self).await;
    }

    /// Resolves once this flag or `other` is raised; `other` must
    /// [`wake`](Self::wake) this flag when it is.
    pub(crate) async fn raised_or(&self, other: &Flag) {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.is_raised() || other.is_raised() {
                return;
            }
            notified.await;
        }
    }

    /// Wakes the tasks waiting on this flag without raising it.
    pub(crate) fn wake(&self) {
        self.notify.notify_waiters();
    }
}

/// Processes supervised by one parent, in start order.
#[derive(Default)]
pub(crate) struct Children {
    nodes: Mutex<BTreeMap<ProcessId, Arc<dyn AnyProcess>>>,
}

impl Children {
    fn lock(&self) -> MutexGuard<'_, BTreeMap<ProcessId, Arc<dyn AnyProcess>>> {
        self.nodes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn insert(&self, node: Arc<dyn AnyProcess>) {
        let id = node.core().id;
        self.lock().insert(id, node);
    }

    pub(crate) fn remove(&self, id: ProcessId) {
        self.lock().remove(&id);
    }

    /// The children, in start order.
    pub(crate) fn list(&self) -> Vec<Arc<dyn AnyProcess>> {
        self.lock().values().cloned().collect()
    }

    /// Whether the process whose core is at `address` is one of these
    /// children, or one of theirs.
    pub(crate) fn contain(&self, address: usize) -> bool {
        let children: Vec<_> = self.lock().values().cloned().collect();
        children
            .iter()
            .any(|child| child.core().address() == address || child.core().children.contain(address))
    }

    /// Stops every child, the last started first, each before the next.
    pub(crate) async fn stop_all(&self) {
        loop {
            let Some((_, child)) = self.lock().pop_last() else {
                return;
            };
            child.request_stop();
            child.core().stopped().await;
        }
    }
}
