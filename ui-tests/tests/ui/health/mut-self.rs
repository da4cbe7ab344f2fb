use phyx::prelude::*;

pub struct Service {
    checks: u32,
}

#[process]
impl Service {
    #[health_check]
    fn health(&mut self) -> Health {
        self.checks += 1;
        Health::healthy()
    }
}

fn main() {}
