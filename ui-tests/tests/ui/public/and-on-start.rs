use phyx::prelude::*;

pub struct Counter {
    count: u64,
}

#[process]
impl Counter {
    #[public]
    #[on_start]
    pub fn reset(&mut self) {
        self.count = 0;
    }
}

fn main() {}
