use phyx::prelude::*;

pub struct Counter {
    count: u64,
}

#[process(backoff(initial = "100ms", jitter = 2.0))]
impl Counter {
    #[public]
    pub fn get(&self) -> u64 {
        self.count
    }
}

fn main() {}
