use phyx::prelude::*;

pub struct Counter {
    count: u64,
}

#[process]
impl Counter {
    #[on_start(retry)]
    fn start(&mut self) {
        self.count = 0;
    }
}

fn main() {}
