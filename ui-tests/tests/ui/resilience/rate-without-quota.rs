use phyx::prelude::*;

struct Service;

#[process]
impl Service {
    #[public]
    #[rate_limit(burst = 10)]
    fn call(&self) {}
}

fn main() {}
