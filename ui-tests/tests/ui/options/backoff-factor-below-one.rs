use phyx::prelude::*;

pub struct Counter {
    count: u64,
}

#[process(backoff(initial = "100ms", factor = 0.5))]
impl Counter {
    #[public]
    pub fn get(&self) -> u64 {
        self.count
    }
}

fn main() {}
