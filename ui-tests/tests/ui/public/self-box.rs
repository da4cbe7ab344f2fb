use phyx::prelude::*;

pub struct Counter {
    count: u64,
}

#[process]
impl Counter {
    #[public]
    pub fn get(self: Box<Self>) -> u64 {
        self.count
    }
}

fn main() {}
