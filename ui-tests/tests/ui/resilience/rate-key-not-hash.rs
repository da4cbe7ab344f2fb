use phyx::prelude::*;

struct Service;

#[process]
impl Service {
    #[public]
    #[rate_limit(per_second = 10, key = ratio)]
    fn call(&self, ratio: f64) {
        let _ = ratio;
    }
}

fn main() {}
