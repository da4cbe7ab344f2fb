use phyx::prelude::*;

pub struct Counter {
    count: u64,
}

#[process(overflow = drop_newest)]
impl Counter {
    #[public]
    pub fn get(&self) -> u64 {
        self.count
    }
}

fn main() {}
