use phyx::prelude::*;

pub struct Service {
    up: bool,
}

#[process]
impl Service {
    #[health_check]
    fn health(&self) -> bool {
        self.up
    }
}

fn main() {}
