use phyx::prelude::*;

pub struct Counter {
    count: u64,
}

#[process]
impl Counter {
    #[on_stop]
    fn stop(self) {
        println!("stopped at {}", self.count);
    }
}

fn main() {}
