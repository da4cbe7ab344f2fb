use phyx::prelude::*;

struct Service;

#[process]
impl Service {
    #[public]
    #[circuit_breaker(failures = 0)]
    fn call(&self) {}
}

fn main() {}
