use phyx::prelude::*;

pub struct Counter {
    count: u64,
}

#[process(within = "0s")]
impl Counter {
    #[public]
    pub fn get(&self) -> u64 {
        self.count
    }
}

fn main() {}
