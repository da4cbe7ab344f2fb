use phyx::prelude::*;

pub struct Counter {
    count: u64,
}

#[process]
impl Default for Counter {
    fn default() -> Self {
        Counter { count: 0 }
    }
}

fn main() {}
