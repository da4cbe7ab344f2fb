use phyx::prelude::*;

pub struct Counter {
    count: u64,
}

#[process]
impl Counter {
    #[public]
    #[public]
    pub fn get(&self) -> u64 {
        self.count
    }
}

fn main() {}
