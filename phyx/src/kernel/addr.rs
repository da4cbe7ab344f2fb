//! The address behind every handle: a mailbox and the process's core,
//! shared across restarts.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};

use crate::error::{CallError, SendError};
use crate::event::EventKind;
use crate::kernel::health::Pending;
use crate::kernel::process::Message;
use crate::kernel::reply::{NoReply, Unreachable};
use crate::kernel::system::SystemInner;
use crate::kernel::tree::{AnyProcess, Core};
use crate::mailbox::{Mailbox, PushError, Pushed};
use crate::options::Settings;

/// Where a handle sends its messages. Outlives every restart of the
/// process; the generated handle wraps one.
#[doc(hidden)]
pub struct Addr<M: Message> {
    shared: Arc<Shared<M>>,
}

pub(crate) struct Shared<M> {
    pub(crate) core: Core,
    pub(crate) mailbox: Mailbox<M>,
    /// Where messages go instead of (or before) this mailbox: a pool
    /// routed by key hands them to a member from the caller; a remote
    /// process's handle sends them over the cluster.
    pub(crate) divert: OnceLock<Box<dyn Divert<M>>>,
}

impl<M> Shared<M> {
    /// A new process's core and mailbox, under `parent` (the root when
    /// `None`), not yet in the tree.
    pub(crate) fn new(system: &Arc<SystemInner>, parent: Option<Arc<dyn AnyProcess>>, settings: &Settings) -> Self {
        Self {
            core: Core::new(system.next_id(), settings.name.clone(), system.clone(), parent),
            mailbox: Mailbox::new(settings.mailbox, settings.overflow),
            divert: OnceLock::new(),
        }
    }
}

impl<M: Message> AnyProcess for Shared<M> {
    fn core(&self) -> &Core {
        &self.core
    }

    fn request_stop(&self) {
        if self.divert.get().is_some_and(|divert| divert.stop()) {
            return;
        }
        self.core.raise_stop();
        self.mailbox.interrupt();
    }

    fn ask_health(&self) -> Option<Arc<Pending>> {
        let make = M::__health()?;
        let now = self.core.system.clock.now();
        Some(self.core.health.ask(now, |reply| {
            // Past the capacity: a full mailbox must not refuse the check
            // (nor, under drop-oldest, evict a message for it); its
            // backlog shows as a check that does not answer in time.
            if let Err(message) = self.mailbox.requeue(make(reply)) {
                crate::panic::quietly(|| message.__no_reply(NoReply::Stopped));
            }
        }))
    }

    fn has_health_check(&self) -> bool {
        M::__health().is_some()
    }

    #[cfg(feature = "test-util")]
    fn inject_crash(&self, message: Arc<str>) {
        self.core.set_crash(message);
        self.mailbox.poke();
    }

    fn queued(&self) -> usize {
        self.mailbox.len()
    }

    fn recycle(&self) {
        self.core.raise_recycle();
        self.mailbox.poke();
    }

    fn abandon(self: Arc<Self>) {
        // A supervisor that never started never started its children
        // either: they end with it.
        if let Some(supervision) = self.core.supervision.get() {
            supervision.abandon_reserved();
        }
        crate::kernel::run::finish(&Addr::new(self), crate::event::StopReason::Shutdown);
    }

    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}

/// Takes a process's messages somewhere other than its mailbox, in the
/// caller: a pool routed by key (the member is a function of the message)
/// or the handle of a process on another node.
pub(crate) trait Divert<M: Message>: Send + Sync + 'static {
    /// Delivers `message` without waiting, or gives it back for the
    /// mailbox.
    fn try_divert(&self, message: M) -> Diverted<M>;

    /// Delivers `message`, waiting for room, or gives it back for the
    /// mailbox.
    fn divert(&self, message: M) -> Pin<Box<dyn Future<Output = Diverted<M>> + Send + '_>>;

    /// For a tell that waits for room ([`Call::send_wait`]): where the
    /// room is somewhere else than a mailbox of this node, the delivery
    /// that waits for it; `None` to wait as for a local process.
    ///
    /// [`Call::send_wait`]: crate::Call::send_wait
    fn send_wait(&self, message: M) -> Result<WaitForRoom<'_>, M> {
        Err(message)
    }

    /// Stops the process elsewhere and ends this address once it has
    /// stopped; `false` to stop it as a local process.
    fn stop(&self) -> bool {
        false
    }
}

/// A tell on its way to a room elsewhere (see [`Divert::send_wait`]).
pub(crate) type WaitForRoom<'a> = Pin<Box<dyn Future<Output = Result<(), Unreachable>> + Send + 'a>>;

/// What a [`Divert`] did with a message.
pub(crate) enum Diverted<M> {
    /// Delivered, or refused.
    Done(Result<(), Refused<M>>),
    /// Not for it: into the mailbox.
    Here(M),
}

/// Why a message did not enter the mailbox; it comes back with the
/// refusal.
pub(crate) enum Refused<M> {
    Full(M),
    Stopped(M),
    /// Its process is on another node, and it did not get there (it is
    /// gone: encoded or dropped).
    Unreachable(Unreachable),
}

impl<M: Message> Addr<M> {
    pub(crate) fn new(shared: Arc<Shared<M>>) -> Self {
        Self { shared }
    }

    /// The address of the process behind `node`, if its messages are `M`s.
    pub(crate) fn of(node: Arc<dyn AnyProcess>) -> Option<Self> {
        node.into_any().downcast().ok().map(Self::new)
    }

    pub(crate) fn shared(&self) -> &Arc<Shared<M>> {
        &self.shared
    }

    pub(crate) fn core(&self) -> &Core {
        &self.shared.core
    }

    pub(crate) fn node(&self) -> Arc<dyn AnyProcess> {
        self.shared.clone()
    }

    pub(crate) fn queued(&self) -> usize {
        self.shared.mailbox.len()
    }

    /// Enqueues without waiting.
    ///
    /// A pool that routes in the caller hands the message to its member
    /// here; if that member has stopped for good meanwhile, the pool's own
    /// mailbox takes it, for its router to find another.
    pub(crate) fn try_deliver(&self, message: M) -> Result<(), Refused<M>> {
        // Out of line, so that the common case moves the message once.
        if let Some(divert) = self.shared.divert.get() {
            return self.try_divert(divert.as_ref(), message);
        }
        let pushed = self.shared.mailbox.try_push(message);
        self.accepted(pushed)
    }

    #[inline(never)]
    fn try_divert(&self, divert: &dyn Divert<M>, message: M) -> Result<(), Refused<M>> {
        match divert.try_divert(message) {
            Diverted::Done(delivered) => delivered,
            Diverted::Here(message) => {
                let pushed = self.shared.mailbox.try_push(message);
                self.accepted(pushed)
            }
        }
    }

    /// Where a waiting tell goes when its room is on another node (see
    /// [`Divert::send_wait`]); the message back otherwise.
    pub(crate) fn send_wait_elsewhere(&self, message: M) -> Result<WaitForRoom<'_>, M> {
        match self.shared.divert.get() {
            Some(divert) => divert.send_wait(message),
            None => Err(message),
        }
    }

    /// Whether a sender should wait for room when the mailbox is full
    /// (its policy is backpressure).
    pub(crate) fn waits_for_room(&self) -> bool {
        self.shared.mailbox.overflow() == crate::mailbox::Overflow::Backpressure
    }

    /// Whether the process has stopped for good and takes no more
    /// messages.
    pub(crate) fn is_closed(&self) -> bool {
        self.shared.mailbox.is_closed()
    }

    /// Puts back a message this process's pool had accepted, whatever the
    /// room; gives it back if the mailbox is closed.
    pub(crate) fn requeue(&self, message: M) -> Result<(), M> {
        self.shared.mailbox.requeue(message)
    }

    /// Enqueues, waiting for room under backpressure.
    pub(crate) async fn deliver(&self, mut message: M) -> Result<(), Refused<M>> {
        if let Some(divert) = self.shared.divert.get() {
            match divert.divert(message).await {
                Diverted::Done(delivered) => return delivered,
                Diverted::Here(back) => message = back,
            }
        }
        let pushed = self.shared.mailbox.push(message).await;
        self.accepted(pushed)
    }

    fn accepted(&self, pushed: Pushed<M>) -> Result<(), Refused<M>> {
        match pushed {
            Ok(None) => Ok(()),
            Ok(Some(evicted)) => {
                self.publish(EventKind::MessageDropped {
                    method: evicted.method(),
                });
                crate::panic::quietly(|| evicted.__no_reply(NoReply::Dropped));
                Ok(())
            }
            Err(PushError::Full(message)) => Err(Refused::Full(message)),
            Err(PushError::Closed(message)) => Err(Refused::Stopped(message)),
        }
    }

    pub(crate) fn publish(&self, kind: EventKind) {
        let core = self.core();
        core.publish(kind);
    }

    /// The error for a message that will not be delivered; a full mailbox
    /// counts it as rejected.
    pub(crate) fn send_error<T>(&self, method: &'static str, refused: Refused<T>) -> SendError {
        let process = self.core().name.clone();
        match refused {
            Refused::Full(_) => {
                self.publish(EventKind::MessageRejected { method });
                SendError::MailboxFull { process, method }
            }
            Refused::Stopped(_) | Refused::Unreachable(Unreachable::Stopped) => SendError::Stopped { process, method },
            Refused::Unreachable(Unreachable::Full) => SendError::MailboxFull { process, method },
            Refused::Unreachable(Unreachable::NodeDown(node)) => SendError::NodeDown { process, method, node },
            Refused::Unreachable(Unreachable::Transport(reason)) => SendError::Transport {
                process,
                method,
                reason,
            },
        }
    }

    pub(crate) fn call_error(&self, method: &'static str, why: NoReply) -> CallError {
        let process = self.core().name.clone();
        match why {
            NoReply::Stopped => CallError::Stopped { process, method },
            NoReply::Dropped => CallError::Dropped { process, method },
            NoReply::ReplyDropped => CallError::ReplyDropped { process, method },
            NoReply::Panicked(message) => CallError::Panicked {
                process,
                method,
                message,
            },
            NoReply::Unreachable(Unreachable::Stopped) => CallError::Stopped { process, method },
            NoReply::Unreachable(Unreachable::Full) => CallError::MailboxFull { process, method },
            NoReply::Unreachable(Unreachable::NodeDown(node)) => CallError::NodeDown { process, method, node },
            NoReply::Unreachable(Unreachable::Transport(reason)) => CallError::Transport {
                process,
                method,
                reason,
            },
        }
    }
}

impl<M: Message> Clone for Addr<M> {
    fn clone(&self) -> Self {
        Self {
            shared: self.shared.clone(),
        }
    }
}

impl<M: Message> PartialEq for Addr<M> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<M: Message> Eq for Addr<M> {}

impl<M: Message> std::hash::Hash for Addr<M> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.core().id.hash(state);
    }
}

impl<M: Message> fmt::Debug for Addr<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Addr")
            .field("id", &self.core().id)
            .field("name", &self.core().name)
            .field("status", &self.core().status())
            .finish()
    }
}
