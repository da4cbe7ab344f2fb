use phyx::isolated::Isolation;
use phyx::prelude::*;

#[derive(Default)]
pub struct Counter {
    count: u64,
}

#[process]
impl Counter {
    #[public]
    pub fn get(&self) -> u64 {
        self.count
    }
}

pub fn start(system: &System) -> CounterRef {
    system.spawn_isolated::<Counter>(Isolation::new())
}

fn main() {}
