//! The model of single outcomes: which errors an ask or a tell may end
//! with, given what the test knows of its process, and what delay a
//! restart may wait.

use std::sync::atomic::Ordering::SeqCst;
use std::time::Duration;

use phyx::{CallError, Overflow, SendError, Status};

use crate::processes::Target;
use crate::program::Kind;
use crate::util::duration;

/// What is wrong with `error` as the outcome of an ask of `target` (`None`
/// if it is a possible one). `cancelled`: the ask's handler started and
/// never returned.
pub(crate) fn check_error(
    error: &CallError,
    target: &Target,
    timeout: Option<Duration>,
    panics: bool,
    took: Duration,
    cancelled: bool,
) -> Option<String> {
    match error {
        CallError::Timeout { after, .. } => match timeout {
            None => Some(format!("{error:?} without a timeout")),
            Some(limit) if *after != limit || took != limit => Some(format!(
                "{error:?} for a timeout of {limit:?}, after {took:?} of virtual time"
            )),
            Some(_) => None,
        },
        CallError::MailboxFull { .. } if target.overflow != Overflow::Reject => {
            Some(format!("{error:?} under {:?}", target.overflow))
        }
        CallError::Dropped { .. } if target.overflow != Overflow::DropOldest => {
            Some(format!("{error:?} under {:?}", target.overflow))
        }
        CallError::Panicked { .. } if !panics => Some(format!("{error:?} from a handler that does not panic")),
        CallError::Stopped { .. } if !stopped_ok(target, cancelled) => Some(format!(
            "{error:?} while the process is {:?}, its handler of this ask {}, and a stop for good {}",
            target.status(),
            if cancelled { "cancelled" } else { "not cancelled" },
            if target.stop_for_good_asked() {
                "asked"
            } else {
                "not asked"
            },
        )),
        CallError::MailboxFull { .. }
        | CallError::Dropped { .. }
        | CallError::Panicked { .. }
        | CallError::Stopped { .. } => None,
        other => Some(format!("unexpected {other:?}")),
    }
}

/// Whether an ask of `target` may fail with `Stopped`:
///
/// - once it has stopped for good (queued messages fail as it ends; a
///   closed mailbox refuses);
/// - a child, if a group restart of its supervisor, or a stop for good,
///   cancelled its handler of this very ask (semantics 2: the in-flight
///   handler is cancelled at once, queued messages stay);
/// - a plain process, if a stop for good asked of it or of the system
///   cancelled that handler past its shutdown timeout;
/// - a pool, if a stop for good was asked and the pool is stopping: its
///   router drops the call it is delivering then, or the member's handler
///   of it was cancelled.
pub(crate) fn stopped_ok(target: &Target, cancelled: bool) -> bool {
    let status = target.status();
    if status == Some(Status::Stopped) {
        return true;
    }
    match target.kind {
        Kind::Child => cancelled,
        Kind::Plain => cancelled && target.stop_for_good_asked(),
        Kind::Pool => target.stop_for_good_asked() && (cancelled || status == Some(Status::Stopping)),
    }
}

/// How a tell was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sent {
    Send,
    SendWait,
    /// `send_wait` by a handler to its own process: under backpressure a
    /// full mailbox refuses at once, since only the sender could make room.
    SendWaitToItself,
}

/// What is wrong with a tell refused with `error` (counting rejections).
pub(crate) fn check_refusal(target: &Target, error: &SendError, sent: Sent) -> Option<String> {
    match error {
        SendError::MailboxFull { .. } => {
            target.rejected.fetch_add(1, SeqCst);
            match (target.overflow, sent) {
                (Overflow::DropOldest, _) => Some(format!("{error:?} under DropOldest")),
                (Overflow::Backpressure, Sent::SendWait) => Some(format!("send_wait: {error:?} under Backpressure")),
                _ => None,
            }
        }
        // Only a process that has ended closes its mailbox.
        SendError::Stopped { .. } if target.status() != Some(Status::Stopped) => {
            Some(format!("{error:?} while the process is {:?}", target.status()))
        }
        SendError::Stopped { .. } => None,
        other => Some(format!("unexpected {other:?}")),
    }
}

/// A backoff as the model knows it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BackoffSpec {
    pub(crate) initial: Duration,
    pub(crate) max: Duration,
    pub(crate) jitter: f64,
}

impl BackoffSpec {
    pub(crate) fn of(initial: &str, max: &str) -> Self {
        Self {
            initial: duration(initial),
            max: duration(max),
            jitter: 0.0,
        }
    }

    /// The delay of restart `attempt`, without jitter; a zero backoff
    /// stays zero however many restarts.
    pub(crate) fn base(&self, attempt: u32) -> Duration {
        if self.initial.is_zero() {
            return Duration::ZERO;
        }
        let grown = self.initial.as_secs_f64() * 2f64.powi(attempt.saturating_sub(1).min(1100) as i32);
        Duration::from_secs_f64(grown.min(self.max.as_secs_f64()))
    }

    /// Whether `delay` is the delay of restart `attempt`, within the
    /// jitter.
    pub(crate) fn allows(&self, attempt: u32, delay: Duration) -> bool {
        let base = self.base(attempt);
        let slack = Duration::from_micros(1);
        let low = base.mul_f64(1.0 - self.jitter).saturating_sub(slack);
        let high = base.mul_f64(1.0 + self.jitter) + slack;
        (low..=high).contains(&delay)
    }
}
