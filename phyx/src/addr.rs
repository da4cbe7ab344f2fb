//! The address behind every handle: a mailbox and the process's core,
//! shared across restarts.

use std::fmt;
use std::sync::Arc;

use crate::error::{CallError, SendError};
use crate::event::EventKind;
use crate::mailbox::{Mailbox, PushError, Pushed};
use crate::node::{Core, Node};
use crate::process::{Message, Process};
use crate::reply::Undelivered;

/// Where a handle sends its messages. Outlives every restart of the
/// process; the generated handle wraps one.
#[doc(hidden)]
pub struct Addr<T: Process> {
    shared: Arc<Shared<T>>,
}

pub(crate) struct Shared<T: Process> {
    pub(crate) core: Core,
    pub(crate) mailbox: Mailbox<T::Message>,
}

impl<T: Process> Node for Shared<T> {
    fn core(&self) -> &Core {
        &self.core
    }

    fn request_stop(&self) {
        self.core.raise_stop();
        self.mailbox.interrupt();
    }
}

/// Why a message did not enter the mailbox.
pub(crate) enum Refused<M> {
    Full(M),
    Stopped,
}

impl<T: Process> Addr<T> {
    pub(crate) fn new(shared: Arc<Shared<T>>) -> Self {
        Self { shared }
    }

    pub(crate) fn shared(&self) -> &Arc<Shared<T>> {
        &self.shared
    }

    pub(crate) fn core(&self) -> &Core {
        &self.shared.core
    }

    pub(crate) fn node(&self) -> Arc<dyn Node> {
        self.shared.clone()
    }

    pub(crate) fn queued(&self) -> usize {
        self.shared.mailbox.len()
    }

    /// Enqueues without waiting.
    pub(crate) fn try_deliver(&self, message: T::Message) -> Result<(), Refused<T::Message>> {
        let pushed = self.shared.mailbox.try_push(message);
        self.settle(pushed)
    }

    /// Enqueues, waiting for room under backpressure.
    pub(crate) async fn deliver(&self, message: T::Message) -> Result<(), Refused<T::Message>> {
        let pushed = self.shared.mailbox.push(message).await;
        self.settle(pushed)
    }

    fn settle(&self, pushed: Pushed<T::Message>) -> Result<(), Refused<T::Message>> {
        match pushed {
            Ok(None) => Ok(()),
            Ok(Some(evicted)) => {
                self.publish(EventKind::MessageDropped {
                    method: evicted.method(),
                });
                evicted.__undeliverable(Undelivered::Dropped);
                Ok(())
            }
            Err(PushError::Full(message)) => Err(Refused::Full(message)),
            Err(PushError::Closed(_)) => Err(Refused::Stopped),
        }
    }

    pub(crate) fn publish(&self, kind: EventKind) {
        let core = self.core();
        core.system.publish(core.id, &core.name, kind);
    }

    /// The error for a message that will not be delivered; a full mailbox
    /// counts it as rejected.
    pub(crate) fn send_error(&self, method: &'static str, refused: Refused<T::Message>) -> SendError {
        let process = self.core().name.clone();
        match refused {
            Refused::Full(_) => {
                self.publish(EventKind::MessageRejected { method });
                SendError::MailboxFull { process, method }
            }
            Refused::Stopped => SendError::Stopped { process, method },
        }
    }

    pub(crate) fn call_error(&self, method: &'static str, why: Undelivered) -> CallError {
        let process = self.core().name.clone();
        match why {
            Undelivered::Stopped => CallError::Stopped { process, method },
            Undelivered::Dropped => CallError::Dropped { process, method },
            Undelivered::Panicked(message) => CallError::Panicked {
                process,
                method,
                message,
            },
        }
    }
}

impl<T: Process> Clone for Addr<T> {
    fn clone(&self) -> Self {
        Self {
            shared: self.shared.clone(),
        }
    }
}

impl<T: Process> PartialEq for Addr<T> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T: Process> Eq for Addr<T> {}

impl<T: Process> std::hash::Hash for Addr<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.core().id.hash(state);
    }
}

impl<T: Process> fmt::Debug for Addr<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Addr")
            .field("id", &self.core().id)
            .field("name", &self.core().name)
            .field("status", &self.core().status())
            .finish()
    }
}
