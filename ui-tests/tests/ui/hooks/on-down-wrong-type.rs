use phyx::prelude::*;
use phyx::StopReason;

pub struct Monitor;

#[process]
impl Monitor {
    #[on_down]
    fn peer_down(&mut self, reason: StopReason) {
        println!("{reason}");
    }
}

fn main() {}
