//! Processes for the cluster tests: shared by the tests and by the
//! `cluster-node` binary, which runs one as a node in its own OS process.

use std::time::Duration;

use phyx::prelude::*;

/// A worker that knows which node it runs on.
pub struct Worker {
    node: String,
    handled: u64,
}

impl Worker {
    /// A worker on node `node`.
    pub fn on(node: &str) -> Self {
        Self {
            node: node.to_owned(),
            handled: 0,
        }
    }
}

#[process(remote)]
impl Worker {
    /// Sleeps `millis`, then answers how many calls this instance handled.
    #[public]
    pub async fn nap(&mut self, millis: u64) -> u64 {
        tokio::time::sleep(Duration::from_millis(millis)).await;
        self.handled += 1;
        self.handled
    }

    /// Counts a call; answers the name of the node that handled it.
    #[public]
    pub fn node(&mut self) -> String {
        self.handled += 1;
        self.node.clone()
    }

    /// How many calls this instance handled.
    #[public]
    pub fn handled(&self) -> u64 {
        self.handled
    }
}

/// A durable journal: each entry it is told is appended as a line to a
/// file, which outlives the node's OS process when the node is killed:
/// `<entry> <message id> <attempt>`.
/// Slower than its senders, so that a kill finds tells waiting in its
/// mailbox.
pub struct Journal {
    file: std::fs::File,
}

impl Journal {
    /// A journal appending to `path`.
    pub fn at(path: &std::path::Path) -> Self {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap_or_else(|error| panic!("cannot open the journal {}: {error}", path.display()));
        Self { file }
    }
}

#[process(remote, durable)]
impl Journal {
    /// Appends `entry`, with the message id and attempt it came with.
    #[public]
    pub fn record(&mut self, entry: u64, envelope: phyx::Envelope) {
        use std::io::Write;
        std::thread::sleep(Duration::from_micros(200));
        let id = envelope.id().unwrap_or("-");
        // One write: a kill leaves whole lines only.
        let line = format!("{entry} {id} {}\n", envelope.attempt());
        self.file.write_all(line.as_bytes()).expect("the journal is written");
    }
}

/// What a [`Tally`] persists: an amount added.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Added(pub u64);

/// An event-sourced tally: each amount is persisted to its journal
/// before it counts, so that the tally registered again on another node
/// (after its node died) has every amount it acknowledged.
#[derive(Default)]
pub struct Tally {
    total: u64,
    events: u64,
}

#[process(remote, journal)]
impl Tally {
    #[apply]
    fn apply(&mut self, event: Added) {
        self.total += event.0;
        self.events += 1;
    }

    /// Adds `amount`, once it is in the journal; answers the total.
    #[public]
    pub async fn add(&mut self, ctx: &mut Ctx<Self>, amount: u64) -> Result<u64, phyx::journal::PersistError> {
        ctx.persist(self, Added(amount)).await?;
        Ok(self.total)
    }

    /// The total, and how many amounts make it.
    #[public]
    pub fn tally(&self) -> (u64, u64) {
        (self.total, self.events)
    }
}
