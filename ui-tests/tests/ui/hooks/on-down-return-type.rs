use phyx::prelude::*;

pub struct Monitor;

#[process]
impl Monitor {
    #[on_down]
    fn peer_down(&mut self, down: Down) -> bool {
        down.reason().is_crash()
    }
}

fn main() {}
