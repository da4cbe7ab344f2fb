use phyx::prelude::*;

#[derive(Default)]
pub struct Counter {
    count: u64,
}

#[process(remote = true)]
impl Counter {
    #[public]
    pub fn get(&self) -> u64 {
        self.count
    }
}

fn main() {}
