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
