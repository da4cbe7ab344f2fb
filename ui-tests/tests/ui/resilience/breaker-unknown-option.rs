use phyx::prelude::*;

struct Service;

#[process]
impl Service {
    #[public]
    #[circuit_breaker(failures = 3, timeout = "10s")]
    fn call(&self) {}
}

fn main() {}
