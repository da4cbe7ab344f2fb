use phyx::prelude::*;

pub struct Relay;

#[process]
impl Relay {
    #[public]
    pub fn relay(&mut self, first: Reply<u8>, second: Reply<u8>) {
        first.send(1);
        second.send(2);
    }
}

fn main() {}
