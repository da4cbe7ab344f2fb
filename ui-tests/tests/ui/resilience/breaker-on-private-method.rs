use phyx::prelude::*;

struct Service;

#[process]
impl Service {
    #[circuit_breaker(failures = 3, cooldown = "10s")]
    fn call(&self) {}
}

fn main() {}
