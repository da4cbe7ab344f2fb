use phyx::prelude::*;

struct Service;

#[process(trace)]
impl Service {
    #[public]
    #[trace]
    fn call(&self) {}

    #[public]
    fn other(&self) {}
}

fn main() {}
