//! What a saga's journal holds, entry by entry, and what the entries add
//! up to: the steps recorded, the compensations finished, the end.
//!
//! A run of the saga appends, in order (postcard-encoded, one entry each):
//!
//! ```text
//! Sent { step: 1, .. }  Outcome { step: 1, Done(value) }
//! Sent { step: 2, .. }  Outcome { step: 2, Failed { .. } }   // or Aborted, when dropped or aborted
//! Compensated { step: 1, .. }                                  // one per finished compensation
//! End(Compensated)                                             // or End(Committed) after the steps
//! ```
//!
//! New variants go at the end of each enum, so that old journals still
//! decode.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::saga::CompensationOutcome;
use crate::saga::ledger::Outcome;

/// One entry of a saga's journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) enum Entry {
    /// Step `step` is about to be sent: its call's process and method,
    /// to check a replay against.
    Sent { step: u32, process: String, method: String },
    /// How step `step` ended.
    Outcome { step: u32, outcome: Outcome },
    /// The saga compensates: it was aborted, or dropped without commit.
    /// Written before the first undo is sent.
    Aborted,
    /// Step `step`'s compensation finished so.
    Compensated { step: u32, outcome: Undone },
    /// The saga ended.
    End(End),
}

/// A finished compensation, as [`CompensationOutcome`] says it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) enum Undone {
    Undone { attempts: u32 },
    Failed { attempts: u32, error: String },
}

/// How a saga ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(super) enum End {
    Committed,
    /// Every compensation finished (each recorded with its outcome).
    Compensated,
}

impl From<&CompensationOutcome> for Undone {
    fn from(outcome: &CompensationOutcome) -> Self {
        match outcome {
            CompensationOutcome::Undone { attempts } => Self::Undone { attempts: *attempts },
            CompensationOutcome::Failed { attempts, error } => Self::Failed {
                attempts: *attempts,
                error: error.clone(),
            },
        }
    }
}

impl From<Undone> for CompensationOutcome {
    fn from(undone: Undone) -> Self {
        match undone {
            Undone::Undone { attempts } => Self::Undone { attempts },
            Undone::Failed { attempts, error } => Self::Failed { attempts, error },
        }
    }
}

/// What a saga's journal says so far.
#[derive(Debug, Default)]
pub(super) struct Record {
    /// Step `n` at `n - 1`.
    steps: Vec<Recorded>,
    /// An `Aborted` entry was written.
    aborted: bool,
    /// The compensations finished, by step.
    undone: BTreeMap<u32, CompensationOutcome>,
    end: Option<End>,
}

/// A step the journal records as sent.
#[derive(Debug)]
struct Recorded {
    process: String,
    method: String,
    /// How it ended, and the position of that entry.
    outcome: Option<(Outcome, u64)>,
}

/// What the journal says of a step that the saga's code asks for again.
pub(super) enum Replay {
    /// Nothing: send it.
    Live,
    /// Sent, with no outcome recorded: send it again, under the same key.
    Resend,
    /// It ended so; `position` is the entry's.
    Ended { outcome: Outcome, position: u64 },
    /// It called another process or method.
    Diverged { process: String, method: String },
    /// The saga committed before this step.
    Committed,
    /// The saga compensates before this step (it was aborted, or a step
    /// failed).
    Compensates,
}

/// Where the saga's code ending the saga stands in its journal, once it
/// has replayed every step the journal records.
pub(super) enum Standing {
    /// The journal records the saga as committed.
    Committed,
    /// The journal records the saga as compensating.
    Compensating,
    /// The journal records the steps and no end: the saga may end here.
    Open,
}

impl Record {
    /// Adds the entry at `position`, or says why it cannot follow the
    /// ones before it.
    pub(super) fn apply(&mut self, entry: Entry, position: u64) -> Result<(), String> {
        if let Some(end) = self.end {
            return Err(format!("an entry follows the saga's end ({end:?})"));
        }
        match entry {
            Entry::Sent { step, process, method } => {
                if self.aborted || self.failing() || self.steps.last().is_some_and(|last| last.outcome.is_none()) {
                    return Err(format!("step {step} is sent after the saga stopped sending steps"));
                }
                self.expect_step(step, self.next_step())?;
                self.steps.push(Recorded {
                    process,
                    method,
                    outcome: None,
                });
            }
            Entry::Outcome { step, outcome } => {
                self.expect_step(step, self.last_step())?;
                let last = self.steps.last_mut().filter(|last| last.outcome.is_none());
                let Some(last) = last else {
                    return Err(format!("step {step} has a second outcome"));
                };
                last.outcome = Some((outcome, position));
            }
            Entry::Aborted => self.aborted = true,
            Entry::Compensated { step, outcome } => {
                if step == 0 || step > self.last_step() {
                    return Err(format!("step {step} is compensated but was never sent"));
                }
                self.undone.insert(step, outcome.into());
            }
            Entry::End(end) => {
                if end == End::Committed && (self.aborted || self.failing()) {
                    return Err("the saga commits after it started compensating".to_owned());
                }
                self.end = Some(end);
            }
        }
        Ok(())
    }

    fn expect_step(&self, step: u32, expected: u32) -> Result<(), String> {
        if step == expected {
            return Ok(());
        }
        Err(format!("step {step} where step {expected} was expected"))
    }

    fn last_step(&self) -> u32 {
        u32::try_from(self.steps.len()).unwrap_or(u32::MAX)
    }

    fn next_step(&self) -> u32 {
        self.last_step().saturating_add(1)
    }

    /// Whether the last step recorded failed (or its outcome is unknown).
    fn failing(&self) -> bool {
        self.steps.last().is_some_and(|last| {
            matches!(
                last.outcome,
                Some((Outcome::Failed { .. } | Outcome::Unknown { .. }, _))
            )
        })
    }

    /// Whether the journal holds nothing.
    pub(super) fn is_empty(&self) -> bool {
        self.steps.is_empty() && !self.aborted && self.end.is_none()
    }

    pub(super) fn end(&self) -> Option<End> {
        self.end
    }

    /// Steps whose outcome is recorded.
    pub(super) fn completed(&self) -> u32 {
        let completed = self.steps.iter().filter(|step| step.outcome.is_some()).count();
        u32::try_from(completed).unwrap_or(u32::MAX)
    }

    /// Whether the saga compensates, by the journal: it was aborted, or
    /// its last step failed.
    pub(super) fn compensates(&self) -> bool {
        self.aborted || self.failing() || self.end == Some(End::Compensated)
    }

    /// Whether the last step was sent and its outcome is not recorded.
    pub(super) fn in_flight(&self) -> bool {
        self.steps.last().is_some_and(|last| last.outcome.is_none())
    }

    /// What the journal says of step `step`, which the saga's code now
    /// asks `method` on `process` for.
    pub(super) fn replay(&self, step: u32, process: &str, method: &str) -> Replay {
        let Some(recorded) = step.checked_sub(1).and_then(|index| self.steps.get(index as usize)) else {
            return match self.end {
                Some(End::Committed) => Replay::Committed,
                _ if self.compensates() => Replay::Compensates,
                _ => Replay::Live,
            };
        };
        if recorded.process != process || recorded.method != method {
            return Replay::Diverged {
                process: recorded.process.clone(),
                method: recorded.method.clone(),
            };
        }
        match &recorded.outcome {
            None => Replay::Resend,
            Some((outcome, position)) => Replay::Ended {
                outcome: outcome.clone(),
                position: *position,
            },
        }
    }

    /// Where ending the saga after `steps` steps stands; `Err` with the
    /// number of steps the journal records, if that is more.
    pub(super) fn standing(&self, steps: u32) -> Result<Standing, u32> {
        if steps < self.last_step() {
            return Err(self.last_step());
        }
        Ok(match self.end {
            Some(End::Committed) => Standing::Committed,
            _ if self.compensates() => Standing::Compensating,
            _ => Standing::Open,
        })
    }

    /// The outcome of step `step`'s compensation, if it finished.
    pub(super) fn undone(&self, step: u32) -> Option<&CompensationOutcome> {
        self.undone.get(&step)
    }
}

#[cfg(test)]
mod tests {
    use super::{End, Entry, Outcome, Record, Replay, Standing};

    fn sent(step: u32) -> Entry {
        Entry::Sent {
            step,
            process: "inventory".into(),
            method: "reserve".into(),
        }
    }

    fn done(step: u32) -> Entry {
        Entry::Outcome {
            step,
            outcome: Outcome::Done(vec![7]),
        }
    }

    fn record(entries: impl IntoIterator<Item = Entry>) -> Result<Record, String> {
        let mut record = Record::default();
        for (entry, position) in entries.into_iter().zip(1..) {
            record.apply(entry, position)?;
        }
        Ok(record)
    }

    #[test]
    fn steps_replay_in_order_and_the_next_one_is_live() {
        let record = record([sent(1), done(1), sent(2)]).unwrap();
        assert!(matches!(
            record.replay(1, "inventory", "reserve"),
            Replay::Ended { position: 2, .. }
        ));
        assert!(matches!(record.replay(2, "inventory", "reserve"), Replay::Resend));
        assert!(matches!(record.replay(3, "inventory", "reserve"), Replay::Live));
        assert!(matches!(
            record.replay(1, "payment", "reserve"),
            Replay::Diverged { .. }
        ));
        assert!(matches!(
            record.replay(1, "inventory", "charge"),
            Replay::Diverged { .. }
        ));
        assert_eq!(record.completed(), 1);
        assert!(record.in_flight());
        assert_eq!(record.standing(1).err(), Some(2), "behind: two steps recorded");
        assert!(matches!(record.standing(2), Ok(Standing::Open)));
    }

    #[test]
    fn an_abort_or_a_failure_makes_the_next_step_compensate() {
        let aborted = record([sent(1), done(1), Entry::Aborted]).unwrap();
        assert!(matches!(aborted.replay(2, "x", "y"), Replay::Compensates));
        assert!(matches!(aborted.standing(1), Ok(Standing::Compensating)));
        let failed = Entry::Outcome {
            step: 1,
            outcome: Outcome::Unknown {
                timeout: std::time::Duration::ZERO,
                late_reply_timeout: std::time::Duration::ZERO,
            },
        };
        assert!(record([sent(1), failed]).unwrap().compensates());
        let committed = record([sent(1), done(1), Entry::End(End::Committed)]).unwrap();
        assert!(matches!(committed.replay(2, "x", "y"), Replay::Committed));
        assert!(matches!(committed.standing(1), Ok(Standing::Committed)));
    }

    #[test]
    fn entries_out_of_order_are_refused_saying_why() {
        let cases = [
            (vec![sent(2)], "step 2 where step 1 was expected"),
            (vec![sent(1), sent(2)], "after the saga stopped sending"),
            (vec![done(1)], "step 1 where step 0 was expected"),
            (vec![sent(1), done(1), done(1)], "second outcome"),
            (
                vec![sent(1), done(1), Entry::Aborted, sent(2)],
                "after the saga stopped sending",
            ),
            (vec![Entry::End(End::Committed), sent(1)], "follows the saga's end"),
            (
                vec![sent(1), done(1), Entry::Aborted, Entry::End(End::Committed)],
                "commits after it started compensating",
            ),
            (
                vec![Entry::Compensated {
                    step: 1,
                    outcome: super::Undone::Undone { attempts: 1 },
                }],
                "never sent",
            ),
        ];
        for (entries, why) in cases {
            let error = record(entries.clone()).unwrap_err();
            assert!(error.contains(why), "{entries:?}: {error}");
        }
    }
}
