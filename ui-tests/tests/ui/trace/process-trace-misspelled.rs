use phyx::prelude::*;

struct Service;

#[process(traced)]
impl Service {
    #[public]
    fn call(&self) {}
}

fn main() {}
