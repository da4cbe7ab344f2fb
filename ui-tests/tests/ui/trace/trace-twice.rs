use phyx::prelude::*;

struct Service;

#[process]
impl Service {
    #[public]
    #[trace]
    #[trace]
    fn call(&self) {}
}

fn main() {}
