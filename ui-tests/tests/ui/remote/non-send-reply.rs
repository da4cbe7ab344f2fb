use phyx::prelude::*;
use std::rc::Rc;

#[derive(Default)]
pub struct Counter {
    count: u8,
}

#[process(remote)]
impl Counter {
    #[public]
    pub fn get(&self) -> Rc<u8> {
        Rc::new(self.count)
    }
}

fn main() {}
