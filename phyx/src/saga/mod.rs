//! Sagas: steps across processes, undone in reverse order when one fails.
//!
//! A [`Saga`] (from [`System::saga`](crate::System::saga)) keeps its
//! progress in memory. A `JournaledSaga` (from
//! `System::journaled_saga`, feature `journal`) is the same saga keeping its progress in the system's
//! journal store too: when its OS process dies mid-saga, the next run
//! replays the saga's code and goes on after its last completed step, or
//! runs the compensations that had not finished, sending again, under the
//! same [`StepKey`], only what had no recorded outcome.

mod compensate;
mod error;
#[cfg(feature = "journal")]
mod journaled;
mod ledger;
mod step;

use std::sync::Arc;
use std::time::Duration;

use crate::call::Undo;
pub use crate::call::{Rejection, SagaReply};
pub use crate::id::{SagaId, StepKey};
pub(crate) use crate::saga::compensate::{DoneStep, Policy, compensate};
#[cfg(feature = "journal")]
pub use crate::saga::error::SagaJournalError;
pub use crate::saga::error::{Compensation, CompensationOutcome, SagaError, StepFailure};
#[cfg(feature = "journal")]
pub(crate) use crate::saga::journaled::unfinished;
#[cfg(feature = "journal")]
pub use crate::saga::journaled::{Journaled, JournaledSaga, Resume};
pub use crate::saga::ledger::{Journaling, Unjournaled};

use crate::call::Call;
use crate::kernel::process::Handle;
use crate::kernel::system::SystemInner;
use crate::options::Backoff;
use crate::saga::error::Failure;

/// A saga: calls on any processes, made in order as steps, whose completed
/// steps are compensated, last first, when a later one fails.
///
/// A step calls a method with `#[compensate(undo)]` (or any method that
/// returns `Result` or nothing; one without `#[compensate]` has nothing to
/// undo). When the step succeeds, the saga records the undo call with the
/// step's reply; when a step fails, the recorded undos run in reverse
/// order, each retried with backoff, and the step returns a [`SagaError`]
/// saying which step failed and what every compensation did.
///
/// ```
/// # use phyx::prelude::*;
/// # #[derive(Default)] struct Inventory { reserved: u32 }
/// # #[process] impl Inventory {
/// #     #[public] #[compensate(release)]
/// #     fn reserve(&mut self, _key: StepKey, qty: u32) -> Result<u32, String> { self.reserved += qty; Ok(qty) }
/// #     #[public] fn release(&mut self, _key: StepKey, qty: u32) { self.reserved -= qty; }
/// #     #[public] fn reserved(&self) -> u32 { self.reserved }
/// # }
/// # #[derive(Default)] struct Payment;
/// # #[process] impl Payment {
/// #     #[public] fn charge(&mut self, _key: StepKey, amount: u64) -> Result<(), String> { Err(format!("card declined for {amount}")) }
/// # }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// # let system = System::new();
/// # let inventory = system.spawn(Inventory::default);
/// # let payment = system.spawn(Payment::default);
/// let mut saga = system.saga("order-42");
/// let outcome = async {
///     saga.step(|key| inventory.reserve(key, 2)).await?;
///     saga.step(|key| payment.charge(key, 30)).await?;
///     Ok::<_, SagaError>(())
/// }
/// .await;
/// let error = outcome.unwrap_err();
/// assert_eq!(error.key().step(), 2);
/// assert!(error.is_compensated());
/// assert_eq!(inventory.reserved().await.unwrap(), 0);
/// # }
/// ```
///
/// # Unknown outcomes
///
/// A step that times out ([`step_timeout`](Self::step_timeout), or the
/// call's own [`Call::timeout`]) fails the saga, but its message is still in
/// the process's mailbox and may yet be handled. The saga waits a further
/// [`late_reply_timeout`](Self::late_reply_timeout) for the late reply: a late success is
/// compensated first, like any completed step; a late failure needs no
/// compensation; no reply at all leaves the step
/// [`Unknown`](StepFailure::Unknown), reported and not compensated (its undo
/// needs its reply). Compensations themselves are retried after a failure
/// or a timed-out attempt, so an undo may arrive twice: make it idempotent
/// with the [`StepKey`] it receives.
///
/// # Cancellation
///
/// A saga runs to a decision even if its caller goes away. Dropping the
/// future of a step aborts the saga: the step in flight is given the late-reply timeout
/// window to reply, then it and the steps before it are compensated in a
/// task of their own. Dropping the saga without [`commit`](Self::commit)
/// compensates its completed steps the same way, as a database transaction
/// dropped without commit rolls back. Compensations started by a failed
/// step keep running if the step's caller is dropped. The outcome of
/// background compensations is reported in events
/// ([`EventKind::Compensation`](crate::event::EventKind::Compensation)).
///
/// # Journaled sagas
///
/// A `Saga` keeps its progress in memory: if its OS process dies, nothing
/// remembers which steps were done. `JournaledSaga` (feature `journal`,
/// from `System::journaled_saga`) is the
/// same saga, with the same policies, that also keeps its progress in the
/// system's journal store and resumes after a restart.
#[must_use = "a saga dropped without `commit()` compensates its completed steps"]
pub struct Saga<J: Journaling = Unjournaled> {
    system: Arc<SystemInner>,
    id: SagaId,
    policy: Policy,
    /// Steps started so far: the number of the last one.
    steps: u32,
    /// The compensations of the done steps, in step order.
    done: Vec<DoneStep>,
    /// Set once the saga committed, compensated or suspended: no step
    /// runs any more.
    ended: bool,
    journal: J,
}

impl Saga {
    /// Attempts per compensation unless [`Saga::attempts`](Self::attempts)
    /// says otherwise.
    pub const DEFAULT_ATTEMPTS: u32 = 5;

    /// How long one compensation attempt may take unless
    /// [`Saga::attempt_timeout`](Self::attempt_timeout) says otherwise.
    pub const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);

    /// How long a saga waits for the late reply of a timed-out step unless
    /// [`Saga::late_reply_timeout`](Self::late_reply_timeout) says otherwise.
    pub const DEFAULT_LATE_REPLY_TIMEOUT: Duration = Duration::from_secs(5);

    pub(crate) fn new(system: Arc<SystemInner>, id: SagaId) -> Self {
        Self::with_journal(system, id, Unjournaled::default())
    }

    /// Runs the next step: `call` builds the call from the step's key (pass
    /// it along for idempotency, or ignore it), and the saga asks it.
    ///
    /// # Errors
    ///
    /// If the step fails (its handler returns `Err`, or the call gets no
    /// reply), the completed steps are compensated, last first, before this
    /// returns a [`SagaError`] with the whole story. The saga has then
    /// ended: later steps return [`StepFailure::Ended`] without being run.
    pub async fn step<R: SagaReply, H: Handle>(
        &mut self,
        call: impl FnOnce(StepKey) -> Call<R, H>,
    ) -> Result<R::Value, SagaError> {
        let step = self.prepare(call);
        if self.ended {
            return Err(step.0.error(Failure::Other(StepFailure::Ended)));
        }
        self.ask(step, None, false).await
    }

    /// Ends the saga successfully: its completed steps stay done.
    pub fn commit(mut self) {
        self.ended = true;
        self.done.clear();
    }

    /// Ends the saga by compensating its completed steps, last first, and
    /// returns what each compensation did.
    pub async fn abort(mut self) -> Vec<Compensation> {
        self.compensate_in_background(None).await.unwrap_or_default()
    }
}

impl<J: Journaling> Saga<J> {
    pub(crate) fn with_journal(system: Arc<SystemInner>, id: SagaId, journal: J) -> Self {
        Self {
            system,
            id,
            policy: Policy::default(),
            steps: 0,
            done: Vec::new(),
            ended: false,
            journal,
        }
    }

    /// The saga's id, part of every step's key.
    pub fn id(&self) -> &SagaId {
        &self.id
    }

    /// Bounds every step that has no [`Call::timeout`] of its own. Without
    /// it, a step waits for its reply as long as an ask does.
    pub fn step_timeout(mut self, timeout: Duration) -> Self {
        self.policy.step_timeout = Some(timeout);
        self
    }

    /// How long to wait for the late reply of a timed-out step before
    /// calling its outcome unknown ([`DEFAULT_LATE_REPLY_TIMEOUT`](Saga::DEFAULT_LATE_REPLY_TIMEOUT) unless set).
    pub fn late_reply_timeout(mut self, timeout: Duration) -> Self {
        self.policy.late_reply_timeout = timeout;
        self
    }

    /// Attempts per compensation before it is reported as failed
    /// ([`DEFAULT_ATTEMPTS`](Saga::DEFAULT_ATTEMPTS) unless set; at least one is
    /// always made).
    pub fn attempts(mut self, attempts: u32) -> Self {
        self.policy.attempts = attempts.max(1);
        self
    }

    /// How long one compensation attempt may take before it counts as
    /// failed and is retried ([`DEFAULT_ATTEMPT_TIMEOUT`](Saga::DEFAULT_ATTEMPT_TIMEOUT) unless set).
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.policy.attempt_timeout = timeout;
        self
    }

    /// The delays between compensation attempts: the `n`th retry waits
    /// `backoff.delay(n, ...)` on the system's clock ([`Backoff::default`]
    /// unless set: 100 ms doubling up to 10 s).
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.policy.backoff = backoff;
        self
    }
}

impl<J: Journaling> Drop for Saga<J> {
    fn drop(&mut self) {
        if !self.ended && self.journal.compensates_on_drop(self.steps, self.done.len()) {
            drop(self.compensate_in_background(None));
        }
    }
}

impl<J: Journaling> std::fmt::Debug for Saga<J> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Saga")
            .field("id", &self.id)
            .field("steps", &self.steps)
            .field("to_compensate", &self.done.len())
            .field("ended", &self.ended)
            .field("journal", &self.journal)
            .finish_non_exhaustive()
    }
}
