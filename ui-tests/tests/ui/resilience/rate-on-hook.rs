use phyx::prelude::*;

struct Service;

#[process]
impl Service {
    #[on_start]
    #[rate_limit(per_second = 10)]
    fn start(&mut self) {}
}

fn main() {}
