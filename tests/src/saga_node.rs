//! What the `saga-node` binary runs: an order as a journaled saga on a
//! `FileJournal`, over event-sourced ledgers in the same OS process, so
//! that the test that kills it finds in the directory what both did.

use std::collections::BTreeSet;
use std::time::Duration;

use phyx::journal::PersistError;
use phyx::prelude::*;
use serde::{Deserialize, Serialize};

/// The saga's id.
pub const SAGA: &str = "order-1";

/// The ledgers the saga's steps go to, in order: step `n` to the `n`th.
pub const LEDGERS: [&str; 3] = ["inventory", "payment", "shipping"];

/// What a ledger persists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Entry {
    Applied(String),
    Undone(String),
}

/// A service whose state outlives its OS process: the keys of the steps
/// it applied, each once however often it is sent.
pub struct Ledger {
    applied: BTreeSet<String>,
    /// How long a step's reply takes, once it is persisted.
    slow: Duration,
}

impl Ledger {
    /// A ledger whose steps take `slow` to reply.
    pub fn new(slow: Duration) -> Self {
        Self {
            applied: BTreeSet::new(),
            slow,
        }
    }
}

#[process(journal)]
impl Ledger {
    #[apply]
    fn apply(&mut self, entry: Entry) {
        match entry {
            Entry::Applied(key) => self.applied.insert(key),
            Entry::Undone(key) => self.applied.remove(&key),
        };
    }

    /// Prints `sent <key>`, applies the step unless it did before, and
    /// replies how many steps it holds.
    #[public]
    #[compensate(undo)]
    pub async fn reserve(&mut self, ctx: &mut Ctx<Self>, key: StepKey) -> Result<u64, PersistError> {
        println!("sent {key}");
        let key = key.to_string();
        if !self.applied.contains(&key) {
            ctx.persist(self, Entry::Applied(key)).await?;
        }
        ctx.sleep(self.slow).await;
        Ok(self.applied.len() as u64)
    }

    #[public]
    pub async fn undo(&mut self, ctx: &mut Ctx<Self>, key: StepKey) -> Result<(), PersistError> {
        ctx.persist(self, Entry::Undone(key.to_string())).await
    }
}
