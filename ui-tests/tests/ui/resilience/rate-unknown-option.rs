use phyx::prelude::*;

struct Service;

#[process]
impl Service {
    #[public]
    #[rate_limit(per_hour = 10)]
    fn call(&self) {}
}

fn main() {}
