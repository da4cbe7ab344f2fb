use phyx::prelude::*;

struct Service;

#[process]
impl Service {
    #[public]
    fn call(&self) {}

    #[trace]
    fn helper(&self) {}
}

fn main() {}
