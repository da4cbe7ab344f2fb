use phyx::prelude::*;

struct Service;

#[process]
impl Service {
    #[public]
    #[circuit_breaker(failures = 3)]
    #[circuit_breaker(failures = 5)]
    fn call(&self) {}
}

fn main() {}
