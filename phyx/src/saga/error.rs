//! How a saga failed, and what its compensations did.

use std::any::Any;
use std::error::Error;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::error::CallError;
#[cfg(feature = "journal")]
use crate::journal::{JournalError, PersistError};
#[cfg(feature = "journal")]
use crate::saga::SagaId;
use crate::saga::{Rejection, StepKey};

/// A saga step failed; the steps done before it were compensated, last
/// first. Returned by [`Saga::step`](crate::saga::Saga::step).
///
/// `Display` tells the whole story in one line: which step failed, why,
/// and what each compensation did.
#[derive(Debug)]
pub struct SagaError {
    pub(crate) key: StepKey,
    pub(crate) process: Arc<str>,
    pub(crate) method: &'static str,
    pub(crate) failure: StepFailure,
    pub(crate) rejection: Option<Box<dyn Any + Send + Sync>>,
    pub(crate) compensations: Vec<Compensation>,
}

/// Why a saga step failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StepFailure {
    /// The handler returned `Err`; here is its text. The error itself is
    /// [`SagaError::rejection`].
    Rejected(String),
    /// The call got no reply: the process stopped, panicked, was full,
    /// its breaker was open or its rate limit reached, or the step timed
    /// out. A step that timed out and then replied `Ok` within the saga's
    /// [`late_reply_timeout`](crate::saga::Saga::late_reply_timeout) is compensated like the
    /// others.
    Call(CallError),
    /// The step timed out and no reply came within the saga's
    /// [`late_reply_timeout`](crate::saga::Saga::late_reply_timeout) either. Whether it happened is
    /// unknown, and its compensation (which needs the step's reply) was not
    /// run: the processes involved must reconcile it by its [`StepKey`].
    Unknown {
        /// The step's timeout.
        timeout: Duration,
        /// How long the saga waited for a late reply after it.
        late_reply_timeout: Duration,
    },
    /// The saga had already ended (a step failed before, or it was
    /// aborted); this step was not run.
    Ended,
    /// The step failed in an earlier run of this journaled saga, before
    /// its OS process restarted, and replays that failure: the error's
    /// text, as [`Call`](Self::Call) or another failure told it then (a
    /// [`CallError`] does not survive the journal). A step rejected by
    /// its handler replays as [`Rejected`](Self::Rejected) instead, and a
    /// step whose outcome was unknown as [`Unknown`](Self::Unknown).
    #[cfg(feature = "journal")]
    Recorded(String),
    /// The step's outcome could not be written to the saga's journal:
    /// the store failed ([`PersistError::Journal`]), or the step's value
    /// does not encode ([`PersistError::Encode`]). The journal does not
    /// know how the step ended, so nothing was compensated, and the saga
    /// ended in this run without touching its journal again: open it
    /// anew with [`System::journaled_saga`](crate::System::journaled_saga)
    /// (once the store works, or the value's type encodes) and replay it,
    /// which sends this step again under the same key.
    #[cfg(feature = "journal")]
    Journal(PersistError),
    /// The saga's code asked for a different step than its journal records
    /// at this position: the code changed between the run that wrote the
    /// journal and this one, and replaying it would mix the two. Nothing
    /// was sent or compensated, and the saga ended in this run: finish
    /// sagas with the code that started them (keep the old order of steps
    /// while old sagas are unfinished).
    #[cfg(feature = "journal")]
    Diverged {
        /// The process the journal records this step calling.
        recorded_process: String,
        /// The method the journal records this step calling.
        recorded_method: String,
    },
}

/// What the compensation of one step did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compensation {
    /// The step compensated.
    pub key: StepKey,
    /// The process that undid it.
    pub process: Arc<str>,
    /// The undo method called.
    pub method: &'static str,
    /// How it went.
    pub outcome: CompensationOutcome,
}

/// How one compensation went.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CompensationOutcome {
    /// The undo succeeded on attempt number `attempts`.
    Undone {
        /// Attempts made, the last one successful.
        attempts: u32,
    },
    /// Every attempt failed; `error` is the last one's.
    Failed {
        /// Attempts made.
        attempts: u32,
        /// Why the last attempt failed.
        error: String,
    },
}

impl SagaError {
    pub(crate) fn new(key: StepKey, process: Arc<str>, method: &'static str, failure: Failure) -> Self {
        let (failure, rejection) = match failure {
            Failure::Rejected(Rejection { message, error }) => (StepFailure::Rejected(message), Some(error)),
            Failure::Other(failure) => (failure, None),
        };
        Self {
            key,
            process,
            method,
            failure,
            rejection,
            compensations: Vec::new(),
        }
    }

    /// The key of the step that failed (its saga and number).
    pub fn key(&self) -> &StepKey {
        &self.key
    }

    /// The process the failed step called.
    pub fn process(&self) -> &str {
        &self.process
    }

    /// The method the failed step called.
    pub fn method(&self) -> &'static str {
        self.method
    }

    /// Why the step failed.
    pub fn failure(&self) -> &StepFailure {
        &self.failure
    }

    /// The `Err` the failed step's handler returned, if it did and it is an
    /// `E`.
    pub fn rejection<E: Any>(&self) -> Option<&E> {
        self.rejection.as_ref()?.downcast_ref()
    }

    /// What each compensation did, in the order they ran (the last
    /// completed step first).
    pub fn compensations(&self) -> &[Compensation] {
        &self.compensations
    }

    /// Whether every completed step was undone (and no step's outcome is
    /// unknown, and the saga was not left to its journal).
    pub fn is_compensated(&self) -> bool {
        !matches!(self.failure, StepFailure::Unknown { .. })
            && !self.failure.leaves_it_to_the_journal()
            && self
                .compensations
                .iter()
                .all(|compensation| matches!(compensation.outcome, CompensationOutcome::Undone { .. }))
    }
}

/// A step's failure before it is split into what the report shows and the
/// error value kept for [`SagaError::rejection`].
pub(crate) enum Failure {
    Rejected(Rejection),
    Other(StepFailure),
}

impl fmt::Display for SagaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "saga `{}` failed at step {} (`{}` on process `{}`): ",
            self.key.saga(),
            self.key.step(),
            self.method,
            self.process
        )?;
        write!(f, "{}", self.failure)?;
        if self.failure.leaves_it_to_the_journal() {
            return Ok(());
        }
        if self.compensations.is_empty() {
            return f.write_str("; nothing to compensate");
        }
        f.write_str("; compensations: ")?;
        for (index, compensation) in self.compensations.iter().enumerate() {
            if index > 0 {
                f.write_str(", ")?;
            }
            write_compensation(f, compensation)?;
        }
        Ok(())
    }
}

/// `step 2 `refund` undone`, and the like.
fn write_compensation(f: &mut fmt::Formatter<'_>, compensation: &Compensation) -> fmt::Result {
    write!(f, "step {} `{}` ", compensation.key.step(), compensation.method)?;
    match &compensation.outcome {
        CompensationOutcome::Undone { attempts: 1 } => f.write_str("undone"),
        CompensationOutcome::Undone { attempts } => write!(f, "undone after {attempts} attempts"),
        CompensationOutcome::Failed { attempts, error } => write!(f, "FAILED after {attempts} attempts ({error})"),
    }
}

impl fmt::Display for StepFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rejected(message) => f.write_str(message),
            Self::Call(error) => write!(f, "{error}"),
            Self::Unknown {
                timeout,
                late_reply_timeout,
            } => write!(
                f,
                "no reply within {timeout:?}, nor {late_reply_timeout:?} after; outcome unknown, not compensated"
            ),
            Self::Ended => f.write_str("the saga had already ended"),
            #[cfg(feature = "journal")]
            Self::Recorded(error) => write!(f, "{error} (recorded before a restart)"),
            #[cfg(feature = "journal")]
            Self::Journal(error) => {
                match error {
                    PersistError::Encode { event, message } => {
                        write!(
                            f,
                            "its value, of type `{event}`, does not encode for the journal ({message})"
                        )?;
                    }
                    PersistError::Journal(error) => write!(f, "the saga's journal failed ({error})")?,
                }
                f.write_str(
                    "; nothing was compensated, as the journal does not know the step's outcome: open the saga \
                     again with `System::journaled_saga` once this is fixed, and it resumes from its journal",
                )
            }
            #[cfg(feature = "journal")]
            Self::Diverged {
                recorded_process,
                recorded_method,
            } => write!(
                f,
                "the saga's journal records this step as `{recorded_method}` on process `{recorded_process}`: its \
                 code changed since the run that wrote the journal; nothing was sent or compensated: finish sagas \
                 with the code that started them"
            ),
        }
    }
}

impl StepFailure {
    /// Whether the saga ended without compensating, leaving what happens
    /// next to its journal.
    fn leaves_it_to_the_journal(&self) -> bool {
        match self {
            #[cfg(feature = "journal")]
            Self::Journal(_) | Self::Diverged { .. } => true,
            _ => false,
        }
    }
}

impl Error for SagaError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match &self.failure {
            StepFailure::Call(error) => Some(error),
            #[cfg(feature = "journal")]
            StepFailure::Journal(error) => Some(error),
            _ => None,
        }
    }
}

/// Why a journaled saga could not be opened, committed or aborted, or its
/// unfinished sagas listed. Feature `journal`.
#[cfg(feature = "journal")]
#[derive(Debug)]
#[non_exhaustive]
pub enum SagaJournalError {
    /// The system has no journal store to keep sagas in.
    NoStore,
    /// A saga of this id is open in this system already (or its
    /// compensations are still running): a saga's journal has one writer.
    AlreadyOpen {
        /// The saga.
        saga: SagaId,
    },
    /// The store failed, or holds entries that do not read back.
    Journal(JournalError),
    /// `commit` or `abort` came before the saga's code had replayed every
    /// step its journal records: the code changed between runs (or skips
    /// a step). Nothing was written or compensated.
    Unreplayed {
        /// The saga.
        saga: SagaId,
        /// Steps the journal records.
        recorded: u32,
        /// Steps the code replayed.
        replayed: u32,
    },
    /// The saga had already ended: a step failed (and was compensated, or
    /// left to the journal), or, for `abort`, its journal records it as
    /// committed. Nothing was written or compensated.
    Ended {
        /// The saga.
        saga: SagaId,
    },
    /// `commit` found the saga aborted in its journal (dropped without
    /// commit, or aborted, before its OS process restarted): instead of
    /// committing, its compensations ran (those not recorded as finished),
    /// and here is what each did.
    Aborted {
        /// The saga.
        saga: SagaId,
        /// What each compensation did, the last step first.
        compensations: Vec<Compensation>,
    },
}

#[cfg(feature = "journal")]
impl fmt::Display for SagaJournalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoStore => f.write_str(
                "the system has no journal store to keep sagas in: build it with \
                 `System::builder().journal(store)`",
            ),
            Self::AlreadyOpen { saga } => write!(
                f,
                "saga `{saga}` is open in this system already (or still compensating): a saga has one writer; \
                 drop the other `JournaledSaga` first"
            ),
            Self::Journal(error) => write!(f, "{error}"),
            Self::Unreplayed {
                saga,
                recorded,
                replayed,
            } => write!(
                f,
                "saga `{saga}`'s journal records {recorded} steps, and its code ended it after replaying \
                 {replayed}: the code changed since the run that wrote the journal; nothing was written or \
                 compensated: finish sagas with the code that started them"
            ),
            Self::Ended { saga } => write!(f, "saga `{saga}` had already ended"),
            Self::Aborted { saga, compensations } => {
                write!(
                    f,
                    "saga `{saga}` was aborted before a restart, so it was compensated instead of committed"
                )?;
                for (index, compensation) in compensations.iter().enumerate() {
                    f.write_str(if index == 0 { ": " } else { ", " })?;
                    write_compensation(f, compensation)?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(feature = "journal")]
impl Error for SagaJournalError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            Self::Journal(error) => Some(error),
            _ => None,
        }
    }
}
