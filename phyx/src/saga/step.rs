//! One step, for every kind of saga: asking its call with its timeouts,
//! judging the reply, recording its undo, and compensating in a task of
//! its own when the step fails or its caller goes away.

use std::future::{Future, IntoFuture, poll_fn};
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use tokio::sync::oneshot;

use crate::call::{Ask, Call, ForSaga, SagaReply, UndoOf};
use crate::clock::Sleep;
use crate::error::CallError;
use crate::event::{EventKind, StepOutcome};
use crate::kernel::addr::Addr;
use crate::kernel::process::Handle;
use crate::saga::error::Failure;
use crate::saga::ledger::{Encode, Journaling, Outcome, RecordedFailure};
use crate::saga::{Compensation, DoneStep, Saga, SagaError, StepFailure, StepKey, compensate};

/// A step, numbered, and what its call says of itself.
pub(crate) struct Step<R, H: Handle> {
    pub(crate) key: StepKey,
    pub(crate) addr: Addr<H::Message>,
    pub(crate) process: Arc<str>,
    pub(crate) method: &'static str,
    undo_of: Option<UndoOf<R, H>>,
    timeout: Option<Duration>,
}

impl<R: SagaReply, H: Handle> Step<R, H> {
    /// The saga's error for this step failing with `failure`.
    pub(crate) fn error(&self, failure: Failure) -> SagaError {
        SagaError::new(self.key.clone(), self.process.clone(), self.method, failure)
    }

    /// The compensation `reply` (a successful one) calls for, if the
    /// step has an undo.
    pub(crate) fn undo(&self, reply: &R) -> Option<DoneStep> {
        let undo = self.undo_of?(&self.addr, reply, &self.key)?;
        Some(DoneStep {
            key: self.key.clone(),
            undo,
        })
    }

    /// What `reply` makes of the step, told in an event. `timed_out`: the
    /// step's timeout passed before it came, which fails the step whatever
    /// it says (a success is still undone); `unknown`: the failure if none
    /// came.
    fn judge(
        &self,
        reply: Option<Result<R, CallError>>,
        timed_out: Option<CallError>,
        unknown: StepFailure,
        encode: Option<Encode<R::Value>>,
    ) -> Judged<R::Value> {
        let value = reply.as_ref().and_then(|reply| reply.as_ref().ok());
        let undo = value.and_then(|reply| self.undo(reply));
        let encoded = encode.and_then(|encode| Some(encode(value.and_then(SagaReply::value)?)));
        let result = match (reply, timed_out) {
            (Some(Ok(reply)), None) => reply.into_outcome().map_err(Failure::Rejected),
            (Some(Err(error)), None) => Err(Failure::Other(StepFailure::Call(error))),
            (Some(_), Some(timeout)) => Err(Failure::Other(StepFailure::Call(timeout))),
            (None, _) => Err(Failure::Other(unknown)),
        };
        let outcome = match &result {
            Ok(_) => StepOutcome::Done,
            Err(Failure::Rejected(rejection)) => StepOutcome::Failed {
                error: rejection.message.as_str().into(),
            },
            Err(Failure::Other(StepFailure::Unknown { .. })) => StepOutcome::Unknown,
            Err(Failure::Other(other)) => StepOutcome::Failed {
                error: other.to_string().into(),
            },
        };
        self.addr.publish(EventKind::SagaStep {
            key: self.key.clone(),
            method: self.method,
            outcome,
        });
        Judged { result, undo, encoded }
    }
}

// By hand: a derive would ask `R: Clone` and `H: Clone`.
impl<R, H: Handle> Clone for Step<R, H> {
    fn clone(&self) -> Self {
        Self {
            key: self.key.clone(),
            addr: self.addr.clone(),
            process: self.process.clone(),
            method: self.method,
            undo_of: self.undo_of,
            timeout: self.timeout,
        }
    }
}

/// A step's reply, judged.
struct Judged<V> {
    /// The step's value, or why it failed.
    result: Result<V, Failure>,
    /// Its compensation, if it succeeded (even too late) and has one.
    undo: Option<DoneStep>,
    /// Its successful reply's value encoded, for a saga that records it.
    encoded: Option<Result<Vec<u8>, StepFailure>>,
}

impl<V> Judged<V> {
    /// How a journal records the step, or why it cannot.
    fn outcome(&mut self) -> Result<Outcome, StepFailure> {
        let encoded = self.encoded.take().transpose()?;
        let failure = match &self.result {
            Ok(_) => return Ok(Outcome::Done(encoded.unwrap_or_default())),
            Err(Failure::Rejected(rejection)) => RecordedFailure::Rejected(rejection.message.clone()),
            Err(Failure::Other(StepFailure::Unknown {
                timeout,
                late_reply_timeout,
            })) => {
                return Ok(Outcome::Unknown {
                    timeout: *timeout,
                    late_reply_timeout: *late_reply_timeout,
                });
            }
            Err(Failure::Other(other)) => RecordedFailure::Error(other.to_string()),
        };
        Ok(Outcome::Failed {
            failure,
            late_value: encoded,
        })
    }
}

/// What a step in flight when its caller went away turned out to be.
pub(crate) struct Late {
    step: u32,
    undo: Option<DoneStep>,
    /// How to record it, for a saga that records steps.
    outcome: Option<Result<Outcome, StepFailure>>,
}

type LateStep = Pin<Box<dyn Future<Output = Late> + Send>>;

impl<J: Journaling> Saga<J> {
    /// The next step, and its call built from its key.
    pub(crate) fn prepare<R: SagaReply, H: Handle>(
        &mut self,
        call: impl FnOnce(StepKey) -> Call<R, H>,
    ) -> (Step<R, H>, Call<R, H>) {
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
        let step = Step {
            key,
            addr,
            process,
            method,
            undo_of,
            timeout,
        };
        (step, call)
    }

    /// Asks `step`'s `call` and waits for its outcome, recording it in
    /// the ledger with `encode` (a saga without a journal has none).
    /// `resend`: the ledger knows the step was sent already.
    pub(crate) async fn ask<R: SagaReply, H: Handle>(
        &mut self,
        (step, call): (Step<R, H>, Call<R, H>),
        encode: Option<Encode<R::Value>>,
        resend: bool,
    ) -> Result<R::Value, SagaError> {
        if !resend {
            if let Err(failure) = self.journal.sent(&step.key, &step.process, step.method).await {
                return Err(self.suspend(&step, failure));
            }
        }
        let clock = self.system.clock.clone();
        let late_reply_timeout = self.policy.late_reply_timeout;
        let timeout = step.timeout.or(self.policy.step_timeout);
        let mut flight = InFlight {
            ask: Some(call.into_future()),
            step: &step,
            encode,
            saga: self,
        };
        let mut reply = flight.reply(timeout.map(|after| clock.sleep(after))).await;
        let mut timed_out = None;
        if let (None, Some(after)) = (&reply, timeout) {
            timed_out = Some(CallError::Timeout {
                process: step.process.clone(),
                method: step.method,
                after,
            });
            reply = flight.reply(Some(clock.sleep(late_reply_timeout))).await;
        }
        flight.ask = None;
        drop(flight);
        let unknown = StepFailure::Unknown {
            timeout: timeout.unwrap_or_default(),
            late_reply_timeout,
        };
        let mut judged = step.judge(reply, timed_out, unknown, encode);
        // Kept before the outcome is written: a caller that goes away
        // during the write leaves the undo to the saga's drop.
        self.done.extend(judged.undo.take());
        if encode.is_some() {
            let written = match judged.outcome() {
                Ok(outcome) => self.journal.outcome(step.key.step(), outcome).await,
                Err(failure) => Err(failure),
            };
            if let Err(failure) = written {
                return Err(self.suspend(&step, failure));
            }
        }
        match judged.result {
            Ok(value) => Ok(value),
            Err(failure) => Err(self.fail(step.error(failure)).await),
        }
    }

    /// Ends the saga with `error`: its done steps are compensated, last
    /// first, in a task of their own, and the error tells what each
    /// compensation did.
    pub(crate) async fn fail(&mut self, mut error: SagaError) -> SagaError {
        // Awaited here, run elsewhere: dropping this future leaves them running.
        let report = self.compensate_in_background(None);
        error.compensations = report.await.unwrap_or_default();
        error
    }

    /// Ends the saga at `step` without compensating anything: what its
    /// journal holds decides what happens next (see `JournaledSaga`'s
    /// resumption).
    pub(crate) fn suspend<R: SagaReply, H: Handle>(&mut self, step: &Step<R, H>, failure: StepFailure) -> SagaError {
        self.ended = true;
        self.done.clear();
        step.error(Failure::Other(failure))
    }

    /// Ends the saga and compensates, in a task of its own, the done
    /// steps and then `late` (a step in flight when its caller went away),
    /// which is undone first if it turns out to have succeeded.
    pub(crate) fn compensate_in_background(&mut self, late: Option<LateStep>) -> oneshot::Receiver<Vec<Compensation>> {
        self.ended = true;
        let mut done = std::mem::take(&mut self.done);
        let mut ledger = self.journal.detach();
        let (sender, receiver) = oneshot::channel();
        let inner = self.system.clone();
        let policy = self.policy.clone();
        self.system.spawn_task(async move {
            if let Some(late) = late {
                let Late { step, undo, outcome } = late.await;
                done.extend(undo);
                let written = match outcome {
                    Some(Ok(outcome)) => ledger.outcome(step, outcome).await,
                    Some(Err(failure)) => Err(failure),
                    None => Ok(()),
                };
                if let Err(failure) = written {
                    return not_compensated(&failure);
                }
            }
            if let Err(failure) = ledger.compensating().await {
                return not_compensated(&failure);
            }
            let report = compensate(inner, policy, done, &mut ledger).await;
            ledger.compensations_ended().await;
            // Nobody may be listening any more; the events tell the story.
            let _ = sender.send(report);
        });
        receiver
    }
}

/// A background compensation that its journal did not let start: nobody
/// waits for it, so the log says why.
fn not_compensated(failure: &StepFailure) {
    tracing::warn!(target: "phyx", "saga not compensated: {failure}");
}

/// A step being asked. Dropped while the ask is still in flight (its
/// caller went away), it aborts the saga and hands the ask to the
/// compensation, which waits for its late reply first.
struct InFlight<'a, R: SagaReply, H: Handle, J: Journaling> {
    saga: &'a mut Saga<J>,
    ask: Option<Ask<R, H>>,
    step: &'a Step<R, H>,
    encode: Option<Encode<R::Value>>,
}

impl<R: SagaReply, H: Handle, J: Journaling> InFlight<'_, R, H, J> {
    /// The reply, or `None` if `deadline` came first.
    async fn reply(&mut self, deadline: Option<Sleep>) -> Option<Result<R, CallError>> {
        reply_within(self.ask.as_mut()?, deadline).await
    }
}

impl<R: SagaReply, H: Handle, J: Journaling> Drop for InFlight<'_, R, H, J> {
    fn drop(&mut self) {
        let Some(mut ask) = self.ask.take() else { return };
        let (step, encode) = (self.step.clone(), self.encode);
        let late_reply_timeout = self.saga.policy.late_reply_timeout;
        let unknown = StepFailure::Unknown {
            timeout: step.timeout.or(self.saga.policy.step_timeout).unwrap_or_default(),
            late_reply_timeout,
        };
        let late_reply = self.saga.system.clock.sleep(late_reply_timeout);
        let late = async move {
            let reply = reply_within(&mut ask, Some(late_reply)).await;
            let mut judged = step.judge(reply, None, unknown, encode);
            Late {
                step: step.key.step(),
                undo: judged.undo.take(),
                outcome: encode.map(|_| judged.outcome()),
            }
        };
        drop(self.saga.compensate_in_background(Some(Box::pin(late))));
    }
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
