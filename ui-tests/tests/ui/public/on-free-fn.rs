use phyx::prelude::*;

#[public]
pub fn get() -> u64 {
    0
}

fn main() {}
