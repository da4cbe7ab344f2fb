use phyx::prelude::*;

pub struct Counter {
    count: u64,
}

impl Counter {
    #[on_stop]
    fn stop(&mut self) {
        println!("stopped at {}", self.count);
    }
}

fn main() {}
