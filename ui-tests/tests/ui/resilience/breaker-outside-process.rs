use phyx::prelude::*;

struct Service;

impl Service {
    #[circuit_breaker(failures = 3)]
    fn call(&self) {}
}

fn main() {}
