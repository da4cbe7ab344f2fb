use phyx::prelude::*;

pub struct Counter {
    count: u64,
}

#[process]
impl Counter {
    #[public]
    pub fn clone(&self) -> u64 {
        self.count
    }
}

fn main() {}
