use phyx::prelude::*;

pub struct Service;

#[process]
impl Service {
    #[health_check(timeout = "2s")]
    fn health(&self) -> Health {
        Health::healthy()
    }
}

fn main() {}
