use phyx::prelude::*;

#[process]
pub struct Counter {
    count: u64,
}

fn main() {}
