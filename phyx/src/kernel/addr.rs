//! The address behind every handle: a mailbox and the process's core,
//! shared across restarts.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use crate::error::{CallError, SendError};
use crate::event::EventKind;
use crate::kernel::process::Message;
use crate::kernel::reply::NoReply;
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
}

impl<M> Shared<M> {
    /// A new process's core and mailbox, under `parent` (the root when
    /// `None`), not yet in the tree.
    pub(crate) fn new(system: &Arc<SystemInner>, parent: Option<Arc<dyn AnyProcess>>, settings: &Settings) -> Self {
        Self {
            core: Core::new(system.next_id(), settings.name.clone(), system.clone(), parent),
            mailbox: Mailbox::new(settings.mailbox, settings.overflow),
        }
    }
}

impl<M: Message> AnyProcess for Shared<M> {
    fn core(&self) -> &Core {
        &self.core
    }

    fn request_stop(&self) {
        self.core.raise_stop();
        self.mailbox.interrupt();
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

/// A pool that routes some of its messages in the caller, straight into
/// a member's mailbox, skipping its router's (a pool routed by key: the
/// member is a function of the message).
pub(crate) trait Route<M: Message>: Send + Sync + 'static {
    /// The member for `message`, or `None` for the router to decide.
    fn member(&self, message: &M) -> Option<Addr<M>>;
}

/// Why a message did not enter the mailbox; it comes back with the
/// refusal.
pub(crate) enum Refused<M> {
    Full(M),
    Stopped(M),
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
        if self.shared.core.pool.get().is_some() {
            return self.try_deliver_to_pool(message);
        }
        let pushed = self.shared.mailbox.try_push(message);
        self.accepted(pushed)
    }

    #[inline(never)]
    fn try_deliver_to_pool(&self, mut message: M) -> Result<(), Refused<M>> {
        if let Some(member) = self.direct(&message) {
            match member.try_deliver(message) {
                Err(Refused::Stopped(back)) => message = back,
                delivered => return delivered,
            }
        }
        let pushed = self.shared.mailbox.try_push(message);
        self.accepted(pushed)
    }

    /// The member of this pool that `message` goes to straight from the
    /// caller, if any; `None` at once for any other process.
    fn direct(&self, message: &M) -> Option<Self> {
        let pool = self.shared.core.pool.get()?;
        pool.route()?.downcast_ref::<Box<dyn Route<M>>>()?.member(message)
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
        if self.shared.core.pool.get().is_some() {
            if let Some(member) = self.direct(&message) {
                match Box::pin(member.deliver(message)).await {
                    Err(Refused::Stopped(back)) => message = back,
                    delivered => return delivered,
                }
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
    pub(crate) fn send_error(&self, method: &'static str, refused: Refused<M>) -> SendError {
        let process = self.core().name.clone();
        match refused {
            Refused::Full(_) => {
                self.publish(EventKind::MessageRejected { method });
                SendError::MailboxFull { process, method }
            }
            Refused::Stopped(_) => SendError::Stopped { process, method },
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
