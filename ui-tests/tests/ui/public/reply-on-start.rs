use phyx::prelude::*;

pub struct Service;

#[process]
impl Service {
    #[on_start]
    fn begin(&mut self, reply: Reply<u8>) {
        reply.send(1);
    }

    #[public]
    pub fn ping(&self) {}
}

fn main() {}
