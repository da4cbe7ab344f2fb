use phyx::prelude::*;

pub struct Counter {
    count: u64,
}

#[process(within = "5 seconds")]
impl Counter {
    #[public]
    pub fn get(&self) -> u64 {
        self.count
    }
}

fn main() {}
