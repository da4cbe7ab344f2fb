use phyx::prelude::*;

pub struct Monitor;

#[process]
impl Monitor {
    #[on_down]
    fn peer_down(&mut self, down: Down, count: u32) {
        println!("{down} {count}");
    }
}

fn main() {}
