use phyx::prelude::*;

struct Service;

#[process]
impl Service {
    #[trace]
    const LIMIT: u32 = 3;

    #[public]
    fn call(&self) {}
}

fn main() {}
