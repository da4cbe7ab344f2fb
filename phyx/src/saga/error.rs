//! How a saga failed, and what its compensations did.

use std::any::Any;
use std::error::Error;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::error::CallError;
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
    /// unknown).
    pub fn is_compensated(&self) -> bool {
        !matches!(self.failure, StepFailure::Unknown { .. })
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
        if self.compensations.is_empty() {
            return f.write_str("; nothing to compensate");
        }
        f.write_str("; compensations: ")?;
        for (index, compensation) in self.compensations.iter().enumerate() {
            if index > 0 {
                f.write_str(", ")?;
            }
            write!(f, "step {} `{}` ", compensation.key.step(), compensation.method)?;
            match &compensation.outcome {
                CompensationOutcome::Undone { attempts: 1 } => f.write_str("undone")?,
                CompensationOutcome::Undone { attempts } => write!(f, "undone after {attempts} attempts")?,
                CompensationOutcome::Failed { attempts, error } => {
                    write!(f, "FAILED after {attempts} attempts ({error})")?;
                }
            }
        }
        Ok(())
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
        }
    }
}

impl Error for SagaError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match &self.failure {
            StepFailure::Call(error) => Some(error),
            _ => None,
        }
    }
}
