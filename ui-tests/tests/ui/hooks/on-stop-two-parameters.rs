use phyx::prelude::*;

pub struct Counter {
    count: u64,
}

#[process]
impl Counter {
    #[on_stop]
    fn stop(&mut self, reason: phyx::StopReason, code: i32) {
        println!("{} stopped: {reason:?} ({code})", self.count);
    }
}

fn main() {}
