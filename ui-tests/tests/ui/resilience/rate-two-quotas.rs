use phyx::prelude::*;

struct Service;

#[process]
impl Service {
    #[public]
    #[rate_limit(per_second = 10, per_minute = 100)]
    fn call(&self) {}
}

fn main() {}
