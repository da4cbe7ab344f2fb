use phyx::prelude::*;

pub struct Counter {
    count: u64,
}

#[process]
impl Counter {
    #[on_stop]
    fn stop(&mut self, reason: String) {
        println!("{} stopped: {reason}", self.count);
    }
}

fn main() {}
