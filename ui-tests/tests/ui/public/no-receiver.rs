use phyx::prelude::*;

pub struct Counter {
    count: u64,
}

#[process]
impl Counter {
    #[public]
    pub fn zero() -> u64 {
        0
    }

    #[public]
    pub fn get(&self) -> u64 {
        self.count
    }
}

fn main() {}
