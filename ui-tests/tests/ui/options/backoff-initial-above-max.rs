use phyx::prelude::*;

pub struct Counter {
    count: u64,
}

#[process(backoff(initial = "10s", max = "1s"))]
impl Counter {
    #[public]
    pub fn get(&self) -> u64 {
        self.count
    }
}

fn main() {}
