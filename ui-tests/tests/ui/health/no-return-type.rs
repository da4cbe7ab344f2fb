use phyx::prelude::*;

pub struct Service;

#[process]
impl Service {
    #[health_check]
    fn health(&self) {}
}

fn main() {}
