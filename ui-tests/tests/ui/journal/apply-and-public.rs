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
    #[public]
    fn apply(&mut self, event: Event) {
        let Event::Added(n) = event;
        self.total += n;
    }
}

fn main() {}
