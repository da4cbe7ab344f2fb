//! A process's health check as the kernel carries it: what a check
//! answers (`Health`), the hidden message that asks it (its reply,
//! `HealthReply`), and the one check in flight per process (`HealthSlot`),
//! which every `System::health` walking the tree meanwhile shares.
//!
//! Nothing here is touched by a tell or an ask: a process without
//! `#[health_check]` has no such message, and the slot is read only by a
//! health walk.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Instant;

use pin_project_lite::pin_project;

use crate::kernel::reply::{NoReply, Panic};
use crate::kernel::tree::Flag;
use crate::panic::{CatchPanics, catch_panics};

/// How healthy something is, from best to worst: the order is severity,
/// so the worst of several is their [`max`](Ord::max).
///
/// # Examples
///
/// ```
/// use phyx::health::HealthStatus;
///
/// assert!(HealthStatus::Healthy < HealthStatus::Degraded);
/// assert_eq!(HealthStatus::Degraded.max(HealthStatus::Unhealthy), HealthStatus::Unhealthy);
/// assert_eq!(HealthStatus::Degraded.to_string(), "degraded");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum HealthStatus {
    /// Working as it should.
    Healthy,
    /// Working, but not as well as it should: serving from a stale cache,
    /// running on a fallback, restarting after a crash.
    Degraded,
    /// Not working: its check says so, it did not answer in time, or it
    /// is stopping.
    Unhealthy,
}

impl HealthStatus {
    /// `"healthy"`, `"degraded"` or `"unhealthy"`: what `Display` prints,
    /// for a JSON field or a metric label.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Healthy => "healthy",
            Self::Degraded => "degraded",
            Self::Unhealthy => "unhealthy",
        }
    }
}

impl fmt::Display for HealthStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a `#[health_check]` method returns: a [`HealthStatus`] and,
/// optionally, a detail that says why (or anything else worth showing).
///
/// Printed with `{}`: `healthy`, or the status and the detail,
/// `degraded: serving from a 5-minute-old cache`.
///
/// # Examples
///
/// ```
/// use phyx::prelude::*;
/// use phyx::health::HealthStatus;
///
/// let health = Health::degraded("serving from a 5-minute-old cache");
/// assert_eq!(health.status(), HealthStatus::Degraded);
/// assert_eq!(health.detail(), Some("serving from a 5-minute-old cache"));
/// assert_eq!(health.to_string(), "degraded: serving from a 5-minute-old cache");
///
/// let health = Health::healthy().with_detail("42 connections");
/// assert!(health.is_healthy());
/// assert_eq!(health.to_string(), "healthy: 42 connections");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Health {
    status: HealthStatus,
    detail: Option<Arc<str>>,
}

impl Health {
    /// Healthy, with no detail.
    pub const fn healthy() -> Self {
        Self {
            status: HealthStatus::Healthy,
            detail: None,
        }
    }

    /// Degraded, because of `why`.
    pub fn degraded(why: impl Into<Arc<str>>) -> Self {
        Self {
            status: HealthStatus::Degraded,
            detail: Some(why.into()),
        }
    }

    /// Unhealthy, because of `why`.
    pub fn unhealthy(why: impl Into<Arc<str>>) -> Self {
        Self {
            status: HealthStatus::Unhealthy,
            detail: Some(why.into()),
        }
    }

    /// The same status, with `detail` in place of the one it had.
    #[must_use]
    pub fn with_detail(self, detail: impl Into<Arc<str>>) -> Self {
        Self {
            detail: Some(detail.into()),
            ..self
        }
    }

    /// Healthy, degraded or unhealthy.
    pub fn status(&self) -> HealthStatus {
        self.status
    }

    /// Why, or whatever else the check said; `None` if it said nothing.
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    /// Whether the status is [`HealthStatus::Healthy`].
    pub fn is_healthy(&self) -> bool {
        self.status == HealthStatus::Healthy
    }
}

impl Default for Health {
    /// [`Health::healthy`].
    fn default() -> Self {
        Self::healthy()
    }
}

impl fmt::Display for Health {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.detail {
            Some(detail) => write!(f, "{}: {detail}", self.status),
            None => write!(f, "{}", self.status),
        }
    }
}

/// What a `#[health_check]` method must return; spanned on its return
/// type, so that another type is one sentence there.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "a health check returns `phyx::Health`, not `{Self}`",
    label = "return `Health` here",
    note = "write `fn health(&self) -> Health` and return `Health::healthy()`, `Health::degraded(why)` or `Health::unhealthy(why)`"
)]
pub trait IntoHealth {
    fn into_health(self) -> Health;
}

impl IntoHealth for Health {
    fn into_health(self) -> Health {
        self
    }
}

/// How a health check ended, when it did.
#[derive(Debug, Clone)]
pub(crate) enum Answer {
    /// What the check returned.
    Health(Health),
    /// Why it did not return: it panicked, was cancelled, or the process
    /// stopped first.
    None(NoReply),
}

/// One health check asked of a process: queued in its mailbox at `since`,
/// answered once.
pub(crate) struct Pending {
    pub(crate) since: Instant,
    answer: Mutex<Option<Answer>>,
    answered: Flag,
}

impl Pending {
    fn new(since: Instant) -> Self {
        Self {
            since,
            answer: Mutex::new(None),
            answered: Flag::default(),
        }
    }

    /// Records the answer, unless one was recorded already.
    fn settle(&self, answer: Answer) {
        let mut slot = self.answer.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.is_none() {
            *slot = Some(answer);
            drop(slot);
            self.answered.raise();
        }
    }

    /// The answer, if the check has ended.
    pub(crate) fn answer(&self) -> Option<Answer> {
        self.answer.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Resolves once the check has ended.
    pub(crate) async fn answered(&self) {
        self.answered.raised().await;
    }
}

/// The reply of a health check's message: the check's answer goes to
/// everyone waiting on it. Dropped unanswered (the handler cancelled by a
/// group restart or a stop), it answers that.
#[doc(hidden)]
pub struct HealthReply {
    pending: Arc<Pending>,
}

impl HealthReply {
    /// Answers that the check did not run, and why (the process stopped
    /// with the message queued).
    #[doc(hidden)]
    pub fn no_answer(self, why: NoReply) {
        self.pending.settle(Answer::None(why));
    }
}

impl Drop for HealthReply {
    fn drop(&mut self) {
        self.pending.settle(Answer::None(NoReply::ReplyDropped));
    }
}

impl fmt::Debug for HealthReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HealthReply").finish_non_exhaustive()
    }
}

/// Runs a health check for its message, answers it, and turns a panic into
/// an unhealthy answer and a crash of the process, as any handler's.
#[doc(hidden)]
pub fn check_health<F: Future<Output = Health>>(reply: HealthReply, check: F) -> CheckHealth<F> {
    CheckHealth {
        reply: Some(reply),
        check: catch_panics(check),
    }
}

pin_project! {
    /// The future of [`check_health`]; a struct so that the check's future
    /// is stored once, in the message's future.
    #[doc(hidden)]
    pub struct CheckHealth<F> {
        reply: Option<HealthReply>,
        #[pin]
        check: CatchPanics<F>,
    }
}

impl<F: Future<Output = Health>> Future for CheckHealth<F> {
    type Output = Result<(), Panic>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let outcome = std::task::ready!(this.check.poll(cx));
        let reply = this.reply.take();
        Poll::Ready(match outcome {
            Ok(health) => {
                if let Some(reply) = reply {
                    reply.pending.settle(Answer::Health(health));
                }
                Ok(())
            }
            Err(message) => {
                if let Some(reply) = reply {
                    reply.no_answer(NoReply::Panicked(message.clone()));
                }
                Err(Panic { message })
            }
        })
    }
}

/// The check in flight of one process, on its core: a walk that finds one
/// waits for it instead of queueing another, so a process that is stuck
/// has one check in its mailbox however often it is asked.
#[derive(Default)]
pub(crate) struct HealthSlot {
    pending: Mutex<Option<Arc<Pending>>>,
}

impl HealthSlot {
    /// The check in flight, or a new one asked at `now` through `queue`,
    /// which puts its message in the mailbox (a closed mailbox answers it
    /// through `Message::__no_reply`).
    pub(crate) fn ask(&self, now: Instant, queue: impl FnOnce(HealthReply)) -> Arc<Pending> {
        let mut slot = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(pending) = slot.as_ref().filter(|pending| !pending.answered.is_raised()) {
            return pending.clone();
        }
        let pending = Arc::new(Pending::new(now));
        let reply = HealthReply {
            pending: pending.clone(),
        };
        queue(reply);
        *slot = Some(pending.clone());
        pending
    }
}

/// A health check that crossed to another OS process (an isolated
/// process's check, which runs in its child): its answer in bytes, with no
/// serde, one status byte and the detail's UTF-8 after a flag byte.
#[cfg(feature = "cluster")]
mod crossing {
    use std::sync::Arc;

    use super::{Answer, Health, HealthReply, HealthStatus, Pending};
    use crate::kernel::reply::{NoReply, Unreachable};
    use crate::kernel::wire::{PendingReply, ReplyWait};

    /// The method number of a health check on the wire: past any
    /// process's methods.
    pub const METHOD: u16 = u16::MAX - 1;

    impl PendingReply for HealthReply {
        fn complete(self: Box<Self>, reply: Result<&[u8], NoReply>) {
            match reply.and_then(decode) {
                Ok(health) => self.pending.settle(Answer::Health(health)),
                Err(why) => self.no_answer(why),
            }
        }

        fn abandoned(&self) -> bool {
            false
        }
    }

    /// Where the answer of a check sent to another OS process goes.
    #[doc(hidden)]
    pub fn health_pending(reply: HealthReply) -> Option<Box<dyn PendingReply>> {
        Some(Box::new(reply))
    }

    /// The reply of a check that arrived from another OS process, and the
    /// future of its answer in bytes.
    #[doc(hidden)]
    pub fn health_wait(ask: bool) -> (HealthReply, Option<ReplyWait>) {
        // No walk ever sees this check, so when it was asked is never
        // read: any instant does.
        let pending = Arc::new(Pending::new(crate::clock::Clock::now(&crate::TokioClock)));
        let reply = HealthReply {
            pending: pending.clone(),
        };
        if !ask {
            return (reply, None);
        }
        let wait: ReplyWait = Box::pin(async move {
            pending.answered().await;
            match pending.answer() {
                Some(Answer::Health(health)) => Ok(encode(&health)),
                Some(Answer::None(why)) => Err(why),
                None => Err(NoReply::ReplyDropped),
            }
        });
        (reply, Some(wait))
    }

    fn encode(health: &Health) -> Vec<u8> {
        let status = match health.status {
            HealthStatus::Healthy => 0,
            HealthStatus::Degraded => 1,
            HealthStatus::Unhealthy => 2,
        };
        let mut bytes = vec![status, u8::from(health.detail.is_some())];
        bytes.extend_from_slice(health.detail().unwrap_or_default().as_bytes());
        bytes
    }

    fn decode(bytes: &[u8]) -> Result<Health, NoReply> {
        let wrong = || {
            NoReply::Unreachable(Unreachable::Transport(
                "the health check's answer does not decode".into(),
            ))
        };
        let [status, has_detail, detail @ ..] = bytes else {
            return Err(wrong());
        };
        let status = match status {
            0 => HealthStatus::Healthy,
            1 => HealthStatus::Degraded,
            2 => HealthStatus::Unhealthy,
            _ => return Err(wrong()),
        };
        let detail = match has_detail {
            0 if detail.is_empty() => None,
            1 => Some(std::str::from_utf8(detail).map_err(|_| wrong())?.into()),
            _ => return Err(wrong()),
        };
        Ok(Health { status, detail })
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn an_answer_reads_back_as_written() {
            for health in [
                Health::healthy(),
                Health::healthy().with_detail(""),
                Health::degraded("slow disk"),
                Health::unhealthy("ünïcode ✓"),
            ] {
                assert_eq!(decode(&encode(&health)), Ok(health));
            }
        }

        #[test]
        fn bytes_that_are_no_answer_are_refused() {
            for bytes in [&[][..], &[0], &[3, 0], &[0, 2], &[0, 0, b'x'], &[1, 1, 0xff]] {
                assert!(decode(bytes).is_err(), "{bytes:?}");
            }
        }
    }
}

#[cfg(feature = "cluster")]
pub use crossing::{METHOD as HEALTH_METHOD, health_pending, health_wait};
