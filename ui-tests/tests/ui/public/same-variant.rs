use phyx::prelude::*;

pub struct Counter {
    count: u64,
}

#[process]
impl Counter {
    #[public]
    pub fn foo_bar(&self) -> u64 {
        self.count
    }

    #[public]
    pub fn foo__bar(&self) -> u64 {
        self.count + 1
    }
}

fn main() {}
