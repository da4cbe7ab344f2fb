//! Sagas: steps across processes, undone in reverse order when one fails.

mod compensate;
mod error;

use std::future::{Future, IntoFuture, poll_fn};
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use tokio::sync::oneshot;

use crate::call::Undo;
pub use crate::call::{Rejection, SagaReply};
pub use crate::id::{SagaId, StepKey};
pub(crate) use crate::saga::compensate::{DoneStep, Policy, compensate};
use crate::saga::error::Failure;
pub use crate::saga::error::{Compensation, CompensationOutcome, SagaError, StepFailure};

use crate::call::{Ask, Call, ForSaga, UndoOf};
use crate::clock::Sleep;
use crate::error::CallError;
use crate::event::{EventKind, StepOutcome};
use crate::kernel::addr::Addr;
use crate::kernel::process::Handle;
use crate::kernel::system::SystemInner;
use crate::options::Backoff;

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
/// ([`EventKind::Compensation`]).
#[must_use = "a saga dropped without `commit()` compensates its completed steps"]
pub struct Saga {
    system: Arc<SystemInner>,
    id: SagaId,
    policy: Policy,
    steps: u32,
    done: Vec<DoneStep>,
    ended: bool,
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
        Self {
            system,
            id,
            policy: Policy::default(),
            steps: 0,
            done: Vec::new(),
            ended: false,
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
    /// calling its outcome unknown ([`DEFAULT_LATE_REPLY_TIMEOUT`](Self::DEFAULT_LATE_REPLY_TIMEOUT) unless set).
    pub fn late_reply_timeout(mut self, timeout: Duration) -> Self {
        self.policy.late_reply_timeout = timeout;
        self
    }

    /// Attempts per compensation before it is reported as failed
    /// ([`DEFAULT_ATTEMPTS`](Self::DEFAULT_ATTEMPTS) unless set; at least one is
    /// always made).
    pub fn attempts(mut self, attempts: u32) -> Self {
        self.policy.attempts = attempts.max(1);
        self
    }

    /// How long one compensation attempt may take before it counts as
    /// failed and is retried ([`DEFAULT_ATTEMPT_TIMEOUT`](Self::DEFAULT_ATTEMPT_TIMEOUT) unless set).
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
        self.steps += 1;
        let key = StepKey::new(self.id.clone(), self.steps);
        let mut call = call(key.clone());
        let ForSaga {
            addr,
            method,
            undo_of,
            timeout,
        } = call.for_saga();
        let process = addr.core().name.clone();
        if self.ended {
            return Err(SagaError::new(key, process, method, Failure::Other(StepFailure::Ended)));
        }
        let clock = self.system.clock.clone();
        let late_reply_timeout = self.policy.late_reply_timeout;
        let mut flight = InFlight {
            ask: Some(call.into_future()),
            addr: addr.clone(),
            method,
            key: key.clone(),
            undo_of,
            saga: self,
        };
        let timeout = timeout.or(flight.saga.policy.step_timeout);
        let mut reply = flight.reply(timeout.map(|after| clock.sleep(after))).await;
        let mut timed_out = None;
        if let (None, Some(after)) = (&reply, timeout) {
            timed_out = Some(CallError::Timeout {
                process: process.clone(),
                method,
                after,
            });
            reply = flight.reply(Some(clock.sleep(late_reply_timeout))).await;
        }
        flight.ask = None;
        drop(flight);
        self.done.extend(recorded::<R, H>(undo_of, &addr, &key, &reply));
        let failure = match (reply, timed_out) {
            (Some(Ok(reply)), None) => match reply.into_outcome() {
                Ok(value) => {
                    addr.publish(step_event(&key, method, StepOutcome::Done));
                    return Ok(value);
                }
                Err(rejection) => Failure::Rejected(rejection),
            },
            (Some(Err(error)), None) => Failure::Other(StepFailure::Call(error)),
            (Some(_), Some(timeout)) => Failure::Other(StepFailure::Call(timeout)),
            (None, _) => Failure::Other(StepFailure::Unknown {
                timeout: timeout.unwrap_or_default(),
                late_reply_timeout,
            }),
        };
        let outcome = match &failure {
            Failure::Rejected(rejection) => StepOutcome::Failed {
                error: rejection.message.as_str().into(),
            },
            Failure::Other(StepFailure::Unknown { .. }) => StepOutcome::Unknown,
            Failure::Other(other) => StepOutcome::Failed {
                error: other.to_string().into(),
            },
        };
        let mut error = SagaError::new(key, process, method, failure);
        addr.publish(step_event(&error.key, method, outcome));
        // Awaited here, run elsewhere: dropping this future leaves them running.
        let report = self.compensate_in_background(None);
        error.compensations = report.await.unwrap_or_default();
        Err(error)
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

    /// Ends the saga and compensates, in a task of its own, the completed
    /// steps and then `late` (a step in flight when its caller went away),
    /// which is undone first if it turns out to have succeeded.
    fn compensate_in_background(
        &mut self,
        late: Option<Pin<Box<dyn Future<Output = Option<DoneStep>> + Send>>>,
    ) -> oneshot::Receiver<Vec<Compensation>> {
        self.ended = true;
        let mut done = std::mem::take(&mut self.done);
        let (sender, receiver) = oneshot::channel();
        let inner = self.system.clone();
        let policy = self.policy.clone();
        self.system.spawn_task(async move {
            if let Some(late) = late {
                done.extend(late.await);
            }
            // Nobody may be listening any more; the events tell the story.
            let _ = sender.send(compensate(inner, policy, done).await);
        });
        receiver
    }
}

impl Drop for Saga {
    fn drop(&mut self) {
        if !self.ended && !self.done.is_empty() {
            drop(self.compensate_in_background(None));
        }
    }
}

impl std::fmt::Debug for Saga {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Saga")
            .field("id", &self.id)
            .field("steps", &self.steps)
            .field("to_compensate", &self.done.len())
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}

/// A step being asked. Dropped while the ask is still in flight (its
/// caller went away), it aborts the saga and hands the ask to the
/// compensation, which waits for its late reply first.
struct InFlight<'a, R: SagaReply, H: Handle> {
    saga: &'a mut Saga,
    ask: Option<Ask<R, H>>,
    addr: Addr<H::Message>,
    method: &'static str,
    key: StepKey,
    undo_of: Option<UndoOf<R, H>>,
}

impl<R: SagaReply, H: Handle> InFlight<'_, R, H> {
    /// The reply, or `None` if `deadline` came first.
    async fn reply(&mut self, deadline: Option<Sleep>) -> Option<Result<R, CallError>> {
        reply_within(self.ask.as_mut()?, deadline).await
    }
}

impl<R: SagaReply, H: Handle> Drop for InFlight<'_, R, H> {
    fn drop(&mut self) {
        let Some(mut ask) = self.ask.take() else { return };
        let (addr, method, key, undo_of) = (self.addr.clone(), self.method, self.key.clone(), self.undo_of);
        let late_reply = self.saga.system.clock.sleep(self.saga.policy.late_reply_timeout);
        let late = async move {
            let reply = reply_within(&mut ask, Some(late_reply)).await;
            let recorded = recorded::<R, H>(undo_of, &addr, &key, &reply);
            let outcome = match reply {
                Some(Ok(reply)) => match reply.into_outcome() {
                    Ok(_) => StepOutcome::Done,
                    Err(rejection) => StepOutcome::Failed {
                        error: rejection.message.into(),
                    },
                },
                Some(Err(error)) => StepOutcome::Failed {
                    error: error.to_string().into(),
                },
                None => StepOutcome::Unknown,
            };
            addr.publish(step_event(&key, method, outcome));
            recorded
        };
        drop(self.saga.compensate_in_background(Some(Box::pin(late))));
    }
}

/// The compensation a step's reply calls for: its undo, if the step has
/// one and succeeded.
fn recorded<R: SagaReply, H: Handle>(
    undo_of: Option<UndoOf<R, H>>,
    addr: &Addr<H::Message>,
    key: &StepKey,
    reply: &Option<Result<R, CallError>>,
) -> Option<DoneStep> {
    let Some(Ok(reply)) = reply else { return None };
    let undo = undo_of?(addr, reply, key)?;
    Some(DoneStep { key: key.clone(), undo })
}

/// The reply of `ask`, or `None` if `deadline` came first.
async fn reply_within<R: SagaReply, H: Handle>(
    ask: &mut Ask<R, H>,
    mut deadline: Option<Sleep>,
) -> Option<Result<R, CallError>> {
    poll_fn(|cx| {
        if let Poll::Ready(reply) = Pin::new(&mut *ask).poll(cx) {
            return Poll::Ready(Some(reply));
        }
        let expired = deadline
            .as_mut()
            .is_some_and(|sleep| Pin::new(sleep).poll(cx).is_ready());
        if expired { Poll::Ready(None) } else { Poll::Pending }
    })
    .await
}

fn step_event(key: &StepKey, method: &'static str, outcome: StepOutcome) -> EventKind {
    EventKind::SagaStep {
        key: key.clone(),
        method,
        outcome,
    }
}
