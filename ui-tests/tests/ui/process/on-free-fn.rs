use phyx::prelude::*;

#[process]
pub fn counter() -> u64 {
    0
}

fn main() {}
