use phyx::prelude::*;

pub struct Service;

#[process]
impl Service {
    #[health_check]
    fn database(&self) -> Health {
        Health::healthy()
    }

    #[health_check]
    fn cache(&self) -> Health {
        Health::healthy()
    }
}

fn main() {}
