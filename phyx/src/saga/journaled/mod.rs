//! Sagas that outlive their OS process: their progress kept in the
//! system's journal store, and resumed by replaying their code.

mod entry;
mod index;
mod log;

use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::call::Call;
use crate::journal::{JournalError, PersistError, decode, encode};
use crate::kernel::process::Handle;
use crate::kernel::system::SystemInner;
use crate::saga::error::Failure;
use crate::saga::journaled::entry::{End, Entry, Replay, Standing, Undone};
use crate::saga::journaled::log::Log;
use crate::saga::ledger::{Encode, Journaling, Ledger, Outcome, RecordedFailure};
use crate::saga::step::Step;
use crate::saga::{
    Compensation, CompensationOutcome, Saga, SagaError, SagaId, SagaJournalError, SagaReply, StepFailure, StepKey,
};

pub(crate) use crate::saga::journaled::index::unfinished;

/// A saga whose progress is kept in the system's journal store, so that
/// it resumes after its OS process dies: from
/// [`System::journaled_saga`](crate::System::journaled_saga). Feature
/// `journal`.
///
/// It is a [`Saga`], with the same policies ([`step_timeout`](Saga::step_timeout),
/// [`attempts`](Saga::attempts), ...) and the same guarantees while it
/// runs, and these on top:
///
/// - **What is journaled.** Before a step is sent, its number, process
///   and method; once it replies, its outcome: its value (so the value of
///   a step's reply must be `Serialize + DeserializeOwned`), or its error's
///   text, or that it is unknown. The outcome is written before
///   [`step`](Self::step) returns the value to the saga's code. Then each
///   compensation's outcome as it finishes, whether the saga was aborted,
///   and how it ended ([`commit`](Self::commit), or every compensation
///   finished).
///
/// - **Resuming is replaying.** After a restart, open the saga again under
///   the same id and run the same code from the top. A step whose outcome
///   the journal holds is not sent again: `step` returns the recorded
///   value, and the step's undo is rebuilt from it exactly as after a live
///   reply. So the saga *continues after its last completed step*, or, if
///   a step had failed (or the saga had been aborted), replaying reaches
///   that point again and *the compensations the journal does not record
///   as finished run*, last step first. A saga that committed or finished
///   compensating sends nothing at all: its steps replay, and `commit` (or
///   the failed step) returns at once. [`resume`](Self::resume) says which
///   of these a saga opened to.
///
/// - **What is sent again, under the same key.** A step sent before the
///   crash with no outcome recorded, and a compensation in flight at the
///   crash. Their [`StepKey`]s are the same as in the first run (the
///   saga's id and the step's number), so a process that records the keys
///   it has handled does each step and each undo once: make steps
///   idempotent by key, as compensations already must be.
///
/// - **The code must be the same.** A replayed step that asks another
///   process or method than the journal records at its position fails
///   with [`StepFailure::Diverged`], naming both, and nothing is sent or
///   compensated. Finish sagas with the code that started them.
///
/// - **When the journal fails.** If a step's outcome cannot be written
///   (the store fails, or the value does not encode), the step fails with
///   [`StepFailure::Journal`] and nothing is compensated: compensating from
///   memory would undo steps that the journal, and so the next run, may
///   still count as done. The saga ends in this run; open it again once
///   the store works, and it resumes from what its journal holds. A
///   compensation's outcome that cannot be written is logged, and the
///   compensations go on: a resume runs it again, under the same key.
///
/// A crash is not a drop: dropping a `JournaledSaga` without commit
/// compensates it in the background, as a [`Saga`] does, and records that
/// it did, while a dying OS process drops nothing. One opened after a
/// restart and dropped before its code has replayed every recorded step
/// does nothing, as a crash would.
///
/// # Journals
///
/// Saga `id` keeps its journal under the key `phyx/saga/<id>` of the
/// system's store, and the store's index of sagas is journal `phyx/sagas`
/// (see [`System::unfinished_sagas`](crate::System::unfinished_sagas)).
/// Journal names starting with `phyx/` are phyx's own: an event-sourced
/// process may not take one. A saga has one writer: a second
/// `journaled_saga` of the same id on one system fails while the first is
/// open, and two OS processes running the same saga at once conflict on
/// its journal, the second writer failing its step with
/// [`StepFailure::Journal`].
///
/// # Examples
///
/// A program that resumes its unfinished sagas when it starts. The
/// [`MemoryJournal`](crate::journal::MemoryJournal) shared by two systems
/// stands for a store that outlives the OS process, and forgetting the
/// saga for the crash that never drops it.
///
/// ```
/// use phyx::journal::MemoryJournal;
/// use phyx::prelude::*;
/// use phyx::saga::{JournaledSaga, Resume};
///
/// #[derive(Default)]
/// struct Inventory {
///     reserved: u32,
/// }
///
/// #[process]
/// impl Inventory {
///     #[public]
///     #[compensate(release)]
///     fn reserve(&mut self, _key: StepKey, quantity: u32) -> Result<u32, String> {
///         self.reserved += quantity;
///         Ok(quantity)
///     }
///
///     #[public]
///     fn release(&mut self, _key: StepKey, quantity: u32) {
///         self.reserved -= quantity;
///     }
///
///     #[public]
///     fn reserved(&self) -> u32 {
///         self.reserved
///     }
/// }
///
/// /// The saga's code, run the same way the first time and at every resume.
/// async fn order(saga: &mut JournaledSaga, inventory: &InventoryRef) -> Result<(), SagaError> {
///     saga.step(|key| inventory.reserve(key, 2)).await?;
///     saga.step(|key| inventory.reserve(key, 3)).await?;
///     Ok(())
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let journals = MemoryJournal::new();
///
/// // The first run does one step, and its OS process dies.
/// let system = System::builder().journal(journals.clone()).build();
/// let inventory = system.spawn(Inventory::default);
/// let mut saga = system.journaled_saga("order-42").await?;
/// saga.step(|key| inventory.reserve(key, 2)).await?;
/// std::mem::forget(saga);
/// system.shutdown().await;
///
/// // The next run resumes what is unfinished.
/// let system = System::builder().journal(journals).build();
/// let inventory = system.spawn(Inventory::default);
/// for id in system.unfinished_sagas().await? {
///     let mut saga = system.journaled_saga(id).await?;
///     assert_eq!(saga.resume(), Resume::Continue { completed: 1, resend: false });
///     order(&mut saga, &inventory).await?;
///     saga.commit().await?;
/// }
/// assert_eq!(inventory.reserved().await?, 3, "step 1 replayed: only step 2 was sent");
/// assert!(system.unfinished_sagas().await?.is_empty());
/// # Ok(())
/// # }
/// ```
pub type JournaledSaga = Saga<Journaled>;

/// A saga that keeps its progress in the system's journal store: the
/// parameter of [`JournaledSaga`]. Feature `journal`.
#[derive(Debug, Default)]
pub struct Journaled {
    /// `None` once a task compensating the saga has taken it.
    log: Option<Log>,
    resume: Resume,
    /// Steps whose outcome the journal held at the start.
    recorded: u32,
}

/// What a [`JournaledSaga`] found in its journal when it was opened: what
/// replaying its code will do. From [`JournaledSaga::resume`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Resume {
    /// Nothing: a new saga, every step sent.
    #[default]
    New,
    /// The saga goes on. Its first `completed` steps replay from the
    /// journal without being sent; the steps after them are sent. With
    /// `resend`, the step after them was sent before the restart and its
    /// outcome is not recorded: it is sent again, under the same key.
    Continue {
        /// Steps whose outcome is recorded.
        completed: u32,
        /// Whether the next step is sent a second time.
        resend: bool,
    },
    /// The saga was compensating: a step failed, or it was aborted (or
    /// dropped without commit). Its first `completed` steps replay, the
    /// failed step replays its failure (or the next step, or `commit`,
    /// finds the abort), and the compensations not recorded as finished
    /// run.
    Compensate {
        /// Steps whose outcome is recorded.
        completed: u32,
    },
    /// The saga committed: its steps replay, and `commit` returns at once.
    Committed,
    /// Every compensation finished: replaying reports them without
    /// running any.
    Compensated,
}

impl Journaling for Journaled {}

impl Saga<Journaled> {
    /// Opens saga `id` on `system`'s journal store.
    pub(crate) async fn open(system: Arc<SystemInner>, id: SagaId) -> Result<Self, SagaJournalError> {
        let log = Log::open(&system, id.clone()).await?;
        let (resume, recorded) = (resume_of(&log), log.record.completed());
        let journal = Journaled {
            log: Some(log),
            resume,
            recorded,
        };
        Ok(Self::with_journal(system, id, journal))
    }

    /// Runs the next step, or replays it from the journal: `call` builds
    /// the call from the step's key (pass it along for idempotency), and
    /// the saga asks it, unless the journal holds the step's outcome.
    ///
    /// A step replayed from the journal sends nothing and publishes no
    /// event; its value is the recorded one, and its undo is rebuilt from
    /// it. A live step's outcome is in the journal before this returns.
    ///
    /// # Errors
    ///
    /// As [`Saga::step`]'s: the step failed (now, or in the run before a
    /// restart, whose failure replays: its handler's error as
    /// [`StepFailure::Rejected`], without [`SagaError::rejection`], and a
    /// call's error as [`StepFailure::Recorded`]) and the completed steps
    /// were compensated. And two of a journaled saga's own, after which
    /// nothing is compensated and the saga has ended in this run:
    /// [`StepFailure::Journal`] (the journal could not record the step)
    /// and [`StepFailure::Diverged`] (the journal records another step at
    /// this position).
    pub async fn step<R, H>(&mut self, call: impl FnOnce(StepKey) -> Call<R, H>) -> Result<R::Value, SagaError>
    where
        R: SagaReply,
        R::Value: Serialize + DeserializeOwned,
        H: Handle,
    {
        let (step, call) = self.prepare(call);
        let replay = match &self.journal.log {
            Some(log) if !self.ended => log.record.replay(step.key.step(), &step.process, step.method),
            _ => return Err(step.error(Failure::Other(StepFailure::Ended))),
        };
        let encode = Some(encode_value::<R::Value> as Encode<R::Value>);
        match replay {
            Replay::Live => self.ask((step, call), encode, false).await,
            Replay::Resend => self.ask((step, call), encode, true).await,
            Replay::Ended { outcome, position } => self.replay(&step, outcome, position).await,
            Replay::Diverged { process, method } => Err(self.suspend(
                &step,
                StepFailure::Diverged {
                    recorded_process: process,
                    recorded_method: method,
                },
            )),
            Replay::Committed => Err(self.suspend(&step, StepFailure::Ended)),
            Replay::Compensates => Err(self.fail(step.error(Failure::Other(StepFailure::Ended))).await),
        }
    }

    /// Replays `step`, which ended with `outcome` (the entry at
    /// `position`) before the restart.
    async fn replay<R, H>(&mut self, step: &Step<R, H>, outcome: Outcome, position: u64) -> Result<R::Value, SagaError>
    where
        R: SagaReply,
        R::Value: DeserializeOwned,
        H: Handle,
    {
        let (failure, late_value) = match outcome {
            Outcome::Done(bytes) => {
                let reply = match self.decode::<R>(&bytes, position) {
                    Ok(reply) => reply,
                    Err(failure) => return Err(self.suspend(step, failure)),
                };
                self.done.extend(step.undo(&reply));
                return match reply.into_outcome() {
                    Ok(value) => Ok(value),
                    Err(rejection) => Err(self.fail(step.error(Failure::Rejected(rejection))).await),
                };
            }
            Outcome::Failed { failure, late_value } => (
                match failure {
                    RecordedFailure::Rejected(message) => StepFailure::Rejected(message),
                    RecordedFailure::Error(error) => StepFailure::Recorded(error),
                },
                late_value,
            ),
            Outcome::Unknown {
                timeout,
                late_reply_timeout,
            } => (
                StepFailure::Unknown {
                    timeout,
                    late_reply_timeout,
                },
                None,
            ),
        };
        if let Some(bytes) = late_value {
            match self.decode::<R>(&bytes, position) {
                Ok(reply) => self.done.extend(step.undo(&reply)),
                Err(failure) => return Err(self.suspend(step, failure)),
            }
        }
        Err(self.fail(step.error(Failure::Other(failure))).await)
    }

    /// The successful reply whose value the journal holds as `bytes`.
    fn decode<R>(&self, bytes: &[u8], position: u64) -> Result<R, StepFailure>
    where
        R: SagaReply,
        R::Value: DeserializeOwned,
    {
        let key = self.journal.log.as_ref().map_or("", |log| log.key());
        let value = decode::<R::Value>(key, position, bytes).map_err(journal_failure)?;
        Ok(R::from_value(value))
    }

    /// Ends the saga successfully: the journal records it committed, and
    /// its steps stay done. A saga whose journal records it committed
    /// already returns at once.
    ///
    /// # Errors
    ///
    /// [`SagaJournalError::Journal`]: the store failed; the saga may or
    /// may not be recorded as committed, and nothing was compensated: open
    /// it again to find out (its steps replay and `commit` is tried again).
    /// [`SagaJournalError::Aborted`]: the journal records that the saga
    /// was aborted before a restart; it was compensated instead.
    /// [`SagaJournalError::Unreplayed`]: the journal records more steps
    /// than the code replayed. [`SagaJournalError::Ended`]: a step had
    /// failed.
    pub async fn commit(mut self) -> Result<(), SagaJournalError> {
        let written = match self.standing().await? {
            Standing::Compensating => {
                let compensations = self.compensate_in_background(None).await.unwrap_or_default();
                return Err(SagaJournalError::Aborted {
                    saga: self.id.clone(),
                    compensations,
                });
            }
            Standing::Open => self.log()?.write(Entry::End(End::Committed)).await,
            Standing::Committed => Ok(()),
        };
        // Committed, or left to the journal: either way nothing is undone.
        self.ended = true;
        self.done.clear();
        written.map_err(SagaJournalError::Journal)
    }

    /// Ends the saga by compensating its completed steps, last first
    /// (those the journal does not record as finished), and returns what
    /// each compensation did. The journal records the abort before the
    /// first undo is sent, so a restart during them finishes them.
    ///
    /// # Errors
    ///
    /// [`SagaJournalError::Journal`]: the abort could not be recorded, and
    /// nothing was compensated. [`SagaJournalError::Unreplayed`]: the
    /// journal records more steps than the code replayed (their undos are
    /// not known). [`SagaJournalError::Ended`]: a step had failed, or the
    /// journal records the saga as committed.
    pub async fn abort(mut self) -> Result<Vec<Compensation>, SagaJournalError> {
        match self.standing().await? {
            Standing::Committed => {
                self.ended = true;
                return Err(SagaJournalError::Ended { saga: self.id.clone() });
            }
            Standing::Compensating | Standing::Open => {}
        }
        if let Err(error) = self.log()?.compensating().await {
            self.ended = true;
            self.done.clear();
            return Err(SagaJournalError::Journal(error));
        }
        Ok(self.compensate_in_background(None).await.unwrap_or_default())
    }

    /// Where ending the saga here stands in its journal; an error where it
    /// cannot end here (and the saga is then ended in this run).
    async fn standing(&mut self) -> Result<Standing, SagaJournalError> {
        let (steps, id) = (self.steps, self.id.clone());
        if self.ended {
            return Err(SagaJournalError::Ended { saga: id });
        }
        let log = self.log()?;
        let settled = log.settle().await;
        let standing = log.record.standing(steps);
        let failed = match (settled, standing) {
            (Err(error), _) => SagaJournalError::Journal(error),
            (Ok(()), Err(recorded)) => SagaJournalError::Unreplayed {
                saga: id,
                recorded,
                replayed: steps,
            },
            (Ok(()), Ok(standing)) => return Ok(standing),
        };
        self.ended = true;
        self.done.clear();
        Err(failed)
    }

    fn log(&mut self) -> Result<&mut Log, SagaJournalError> {
        let id = &self.id;
        self.journal
            .log
            .as_mut()
            .ok_or_else(|| SagaJournalError::Ended { saga: id.clone() })
    }

    /// Whether the journal held anything of this saga when it was opened:
    /// whether it is resumed rather than new.
    pub fn is_resumed(&self) -> bool {
        self.journal.resume != Resume::New
    }

    /// How many steps replay from the journal without being sent: those
    /// whose outcome it held when the saga was opened.
    pub fn recorded_steps(&self) -> u32 {
        self.journal.recorded
    }

    /// What the journal held when the saga was opened, and so what
    /// replaying its code will do.
    pub fn resume(&self) -> Resume {
        self.journal.resume
    }
}

/// What the journal `log` holds means for the saga's code.
fn resume_of(log: &Log) -> Resume {
    let record = &log.record;
    let completed = record.completed();
    match record.end() {
        Some(End::Committed) => Resume::Committed,
        Some(End::Compensated) => Resume::Compensated,
        None if record.is_empty() => Resume::New,
        None if record.compensates() => Resume::Compensate { completed },
        None => Resume::Continue {
            completed,
            resend: record.in_flight(),
        },
    }
}

/// A step's value as the journal keeps it.
fn encode_value<V: Serialize>(value: &V) -> Result<Vec<u8>, StepFailure> {
    encode(value).map_err(StepFailure::Journal)
}

fn journal_failure(error: JournalError) -> StepFailure {
    StepFailure::Journal(PersistError::Journal(error))
}

impl Journaled {
    /// The log, while this saga (not a task compensating it) holds it.
    fn log(&mut self) -> Result<&mut Log, StepFailure> {
        self.log.as_mut().ok_or(StepFailure::Ended)
    }
}

impl Ledger for Journaled {
    async fn sent(&mut self, key: &StepKey, process: &str, method: &'static str) -> Result<(), StepFailure> {
        let entry = Entry::Sent {
            step: key.step(),
            process: process.to_owned(),
            method: method.to_owned(),
        };
        self.log()?.write(entry).await.map_err(journal_failure)
    }

    async fn outcome(&mut self, step: u32, outcome: Outcome) -> Result<(), StepFailure> {
        self.log()?
            .write(Entry::Outcome { step, outcome })
            .await
            .map_err(journal_failure)
    }

    async fn compensating(&mut self) -> Result<(), StepFailure> {
        self.log()?.compensating().await.map_err(journal_failure)
    }

    fn finished(&self, step: u32) -> Option<CompensationOutcome> {
        self.log.as_ref()?.record.undone(step).cloned()
    }

    async fn compensated(&mut self, compensation: &Compensation) {
        if let Some(log) = self.log.as_mut() {
            let (step, outcome) = (compensation.key.step(), Undone::from(&compensation.outcome));
            log.write_or_log(Entry::Compensated { step, outcome }).await;
        }
    }

    async fn compensations_ended(&mut self) {
        if let Some(log) = self.log.as_mut().filter(|log| log.record.end().is_none()) {
            log.write_or_log(Entry::End(End::Compensated)).await;
        }
    }

    fn compensates_on_drop(&self, steps: u32, undos: usize) -> bool {
        // Behind its journal (still replaying), or stopped, it does what a
        // crash does: nothing, leaving the journal to the next run.
        self.log.as_ref().is_some_and(|log| {
            log.is_writing()
                && log.record.end().is_none()
                && log.record.standing(steps).is_ok()
                && (undos > 0 || !log.record.is_empty())
        })
    }

    fn detach(&mut self) -> Self {
        Self {
            log: self.log.take(),
            resume: self.resume,
            recorded: self.recorded,
        }
    }
}
