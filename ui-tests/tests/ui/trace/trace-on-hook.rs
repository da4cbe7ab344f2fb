use phyx::prelude::*;

struct Service;

#[process]
impl Service {
    #[on_start]
    #[trace]
    fn start(&mut self) {}

    #[public]
    fn call(&self) {}
}

fn main() {}
