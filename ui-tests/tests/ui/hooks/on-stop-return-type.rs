use phyx::prelude::*;

pub struct Counter {
    count: u64,
}

#[process]
impl Counter {
    #[on_stop]
    fn stop(&mut self) -> u64 {
        self.count
    }
}

fn main() {}
