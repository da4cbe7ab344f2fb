//! Running compensations: last step first, each retried with backoff on
//! the system's clock.

use std::sync::Arc;
use std::time::Duration;

use crate::event::{AttemptOutcome, EventKind};
use crate::kernel::system::SystemInner;
use crate::options::Backoff;
use crate::saga::ledger::Ledger;
use crate::saga::{Compensation, CompensationOutcome, Saga, StepKey, Undo};

/// A completed step's compensation, kept until the saga ends.
pub(crate) struct DoneStep {
    pub(crate) key: StepKey,
    pub(crate) undo: Undo,
}

/// How a saga waits and retries.
#[derive(Debug, Clone)]
pub(crate) struct Policy {
    pub(crate) step_timeout: Option<Duration>,
    pub(crate) late_reply_timeout: Duration,
    pub(crate) attempts: u32,
    pub(crate) attempt_timeout: Duration,
    pub(crate) backoff: Backoff,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            step_timeout: None,
            late_reply_timeout: Saga::DEFAULT_LATE_REPLY_TIMEOUT,
            attempts: Saga::DEFAULT_ATTEMPTS,
            attempt_timeout: Saga::DEFAULT_ATTEMPT_TIMEOUT,
            backoff: Backoff::default(),
        }
    }
}

/// Undoes `done` in reverse order, telling `ledger` of each. Every
/// compensation is tried, whatever happened to the ones before it: each
/// undoes a different step. One the ledger knows as finished is not run
/// again; its recorded outcome is reported.
pub(crate) async fn compensate(
    system: Arc<SystemInner>,
    policy: Policy,
    done: Vec<DoneStep>,
    ledger: &mut impl Ledger,
) -> Vec<Compensation> {
    let mut report = Vec::with_capacity(done.len());
    for DoneStep { key, undo } in done.into_iter().rev() {
        let finished = ledger.finished(key.step());
        let ran = finished.is_none();
        let (undo, outcome) = match finished {
            Some(outcome) => (undo, outcome),
            // Owned, not borrowed, across the awaits: an undo is `Send` but not `Sync`.
            None => undo_with_retries(&system, &policy, &key, undo).await,
        };
        let compensation = Compensation {
            key,
            process: undo.process().clone(),
            method: undo.method(),
            outcome,
        };
        if ran {
            ledger.compensated(&compensation).await;
        }
        report.push(compensation);
    }
    report
}

async fn undo_with_retries(
    system: &SystemInner,
    policy: &Policy,
    key: &StepKey,
    undo: Undo,
) -> (Undo, CompensationOutcome) {
    let attempts = policy.attempts.max(1);
    let mut attempt = 1;
    loop {
        let error = match undo.attempt(policy.attempt_timeout).await {
            Ok(()) => {
                undo.publish(event(key, &undo, attempt, AttemptOutcome::Undone));
                return (undo, CompensationOutcome::Undone { attempts: attempt });
            }
            Err(error) => error,
        };
        if attempt == attempts {
            let outcome = AttemptOutcome::GaveUp {
                error: error.as_str().into(),
            };
            undo.publish(event(key, &undo, attempt, outcome));
            return (undo, CompensationOutcome::Failed { attempts, error });
        }
        let after = policy.backoff.delay(attempt, system.random());
        let outcome = AttemptOutcome::Retrying {
            error: error.into(),
            after,
        };
        undo.publish(event(key, &undo, attempt, outcome));
        system.clock.sleep(after).await;
        attempt += 1;
    }
}

fn event(key: &StepKey, undo: &Undo, attempt: u32, outcome: AttemptOutcome) -> EventKind {
    EventKind::Compensation {
        key: key.clone(),
        method: undo.method(),
        attempt,
        outcome,
    }
}
