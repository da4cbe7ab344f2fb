use phyx::prelude::*;

pub struct Counter {
    count: u64,
}

#[process]
impl Counter {
    #[public]
    pub fn get(&self) -> impl std::fmt::Display {
        self.count
    }
}

fn main() {}
