use phyx::prelude::*;

pub struct Counter {
    count: u64,
}

#[process]
impl Counter {
    #[public]
    pub const LIMIT: u64 = 10;

    #[public]
    pub fn get(&self) -> u64 {
        self.count.min(Self::LIMIT)
    }
}

fn main() {}
