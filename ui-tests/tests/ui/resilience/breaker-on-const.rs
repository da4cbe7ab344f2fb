use phyx::prelude::*;

struct Service;

#[process]
impl Service {
    #[circuit_breaker(failures = 3)]
    const LIMIT: u32 = 3;

    #[public]
    fn call(&self) {}
}

fn main() {}
