use phyx::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
pub enum Event {
    Added(u64),
}

#[derive(Default)]
pub struct Tally {
    total: u64,
}

#[process(journal)]
impl Tally {
    #[apply]
    fn apply(&self, event: Event) {
        let _ = event;
    }
    #[public]
    pub fn total(&self) -> u64 {
        self.total
    }
}

fn main() {}
