use phyx::prelude::*;
use std::rc::Rc;

pub struct Counter {
    count: u8,
}

#[process]
impl Counter {
    #[public]
    pub fn get(&self, reply: Reply<Rc<u8>>) {
        reply.send(Rc::new(self.count));
    }
}

fn main() {}
