use phyx::prelude::*;

struct Service;

#[process]
impl Service {
    #[public]
    #[rate_limit(per_second = 0)]
    fn call(&self) {}
}

fn main() {}
