use phyx::prelude::*;

struct Service;

#[process]
impl Service {
    #[public]
    #[trace(level = "debug")]
    fn call(&self) {}
}

fn main() {}
