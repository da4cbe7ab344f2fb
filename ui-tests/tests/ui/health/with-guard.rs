use phyx::prelude::*;

pub struct Service;

#[process]
impl Service {
    #[health_check]
    #[rate_limit(per_second = 1)]
    fn health(&self) -> Health {
        Health::healthy()
    }
}

fn main() {}
