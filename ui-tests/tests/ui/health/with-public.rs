use phyx::prelude::*;

pub struct Service;

#[process]
impl Service {
    #[public]
    #[health_check]
    pub fn health(&self) -> Health {
        Health::healthy()
    }
}

fn main() {}
