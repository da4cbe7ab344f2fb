use phyx::prelude::*;

struct Service;

#[process]
impl Service {
    #[public]
    #[circuit_breaker(cooldown = "ten seconds")]
    fn call(&self) {}
}

fn main() {}
