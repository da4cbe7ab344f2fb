use phyx::prelude::*;

pub struct Counter {
    count: u32,
}

#[process]
impl Counter {
    #[on_start]
    fn start(&mut self) -> u32 {
        self.count
    }
}

fn main() {}
