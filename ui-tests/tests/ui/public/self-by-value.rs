use phyx::prelude::*;

pub struct Counter {
    count: u64,
}

#[process]
impl Counter {
    #[public]
    pub fn into_count(self) -> u64 {
        self.count
    }
}

fn main() {}
