use phyx::prelude::*;

pub struct Service;

#[process]
impl Service {
    #[health_check]
    fn health(&self, reply: Reply<Health>) {
        reply.send(Health::healthy());
    }
}

fn main() {}
