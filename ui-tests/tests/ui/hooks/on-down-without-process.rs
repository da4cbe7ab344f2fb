use phyx::prelude::*;

pub struct Monitor;

impl Monitor {
    #[on_down]
    fn peer_down(&mut self, _down: Down) {}
}

fn main() {}
