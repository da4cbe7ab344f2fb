use phyx::prelude::*;

pub struct Service;

impl Service {
    #[health_check]
    fn health(&self) -> Health {
        Health::healthy()
    }
}

fn main() {}
