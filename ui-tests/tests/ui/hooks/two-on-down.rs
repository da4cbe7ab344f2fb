use phyx::prelude::*;

pub struct Monitor;

#[process]
impl Monitor {
    #[on_down]
    fn worker_down(&mut self, _down: Down) {}

    #[on_down]
    fn cache_down(&mut self, _down: Down) {}
}

fn main() {}
