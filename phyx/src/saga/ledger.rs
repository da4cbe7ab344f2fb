//! Where a saga keeps its progress: nowhere but memory ([`Unjournaled`]),
//! or in its journal as well (`Journaled`). The steps, replies and
//! compensations are one code for both; it tells its ledger what happens,
//! and a saga without a journal ignores it.

use std::future::Future;
use std::time::Duration;

use crate::saga::{Compensation, CompensationOutcome, StepFailure, StepKey};

/// Where a saga keeps its progress: the parameter of [`Saga`](crate::saga::Saga).
///
/// [`Unjournaled`] (the default): in memory, gone with the OS process.
/// `Journaled` (feature `journal`): in the system's journal store too, so
/// that the saga resumes after a restart; see `JournaledSaga`. Sealed.
pub trait Journaling: sealed::Ledger {}

/// A saga that keeps its progress in memory only: [`Saga`](crate::saga::Saga)'s default.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Unjournaled;

impl Journaling for Unjournaled {}

impl sealed::Ledger for Unjournaled {}

pub(crate) use sealed::{Ledger, Outcome, RecordedFailure};

/// How a saga's ledger would have a step's value written: only a
/// journaled saga records values, and only values it can encode.
pub(crate) type Encode<V> = fn(&V) -> Result<Vec<u8>, StepFailure>;

mod sealed {
    use super::{Compensation, CompensationOutcome, Duration, Future, StepFailure, StepKey};

    /// How a step ended, as a journal records it.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "journal", derive(serde::Serialize, serde::Deserialize))]
    pub enum Outcome {
        /// It succeeded with this value, encoded.
        Done(Vec<u8>),
        /// It failed. `late_value`: a reply that came after the step's
        /// timeout and succeeded, encoded, to compensate like a done step.
        Failed {
            failure: RecordedFailure,
            late_value: Option<Vec<u8>>,
        },
        /// It timed out and no late reply came.
        Unknown {
            timeout: Duration,
            late_reply_timeout: Duration,
        },
    }

    /// A step's failure, as a journal records it: the text only, since a
    /// handler's error need not be serializable.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "journal", derive(serde::Serialize, serde::Deserialize))]
    pub enum RecordedFailure {
        /// The handler returned `Err` with this text.
        Rejected(String),
        /// The call got no reply (or another failure), with this text.
        Error(String),
    }

    /// What a saga tells its ledger, in order. Every method's default is
    /// what a saga without a journal does: nothing.
    pub trait Ledger: Default + std::fmt::Debug + Send + Sized + 'static {
        /// Step `key`, calling `method` on `process`, is about to be sent.
        fn sent(
            &mut self,
            key: &StepKey,
            process: &str,
            method: &'static str,
        ) -> impl Future<Output = Result<(), StepFailure>> + Send {
            let _ = (key, process, method);
            async { Ok(()) }
        }

        /// Step `step` ended so.
        fn outcome(&mut self, step: u32, outcome: Outcome) -> impl Future<Output = Result<(), StepFailure>> + Send {
            let _ = (step, outcome);
            async { Ok(()) }
        }

        /// The saga is about to compensate its done steps: what must be
        /// known before the first undo is sent (nothing, if a failed step
        /// already says so).
        fn compensating(&mut self) -> impl Future<Output = Result<(), StepFailure>> + Send {
            async { Ok(()) }
        }

        /// The outcome of step `step`'s compensation, if it is already
        /// known to have finished: it is not run again.
        fn finished(&self, step: u32) -> Option<CompensationOutcome> {
            let _ = step;
            None
        }

        /// A compensation finished (one that ran, not one `finished` knew).
        fn compensated(&mut self, compensation: &Compensation) -> impl Future<Output = ()> + Send {
            let _ = compensation;
            async {}
        }

        /// Every compensation has finished.
        fn compensations_ended(&mut self) -> impl Future<Output = ()> + Send {
            async {}
        }

        /// Whether a saga dropped without commit after `steps` steps, with
        /// `undos` compensations known, compensates in the background.
        fn compensates_on_drop(&self, steps: u32, undos: usize) -> bool {
            let _ = steps;
            undos > 0
        }

        /// What a background task takes over from a saga that is ending:
        /// the ledger itself.
        fn detach(&mut self) -> Self {
            std::mem::take(self)
        }
    }
}
