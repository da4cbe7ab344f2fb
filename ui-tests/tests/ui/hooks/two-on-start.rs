use phyx::prelude::*;

pub struct Counter {
    count: u64,
}

#[process]
impl Counter {
    #[on_start]
    fn reset(&mut self) {
        self.count = 0;
    }

    #[on_start]
    fn announce(&mut self) {
        println!("started at {}", self.count);
    }
}

fn main() {}
