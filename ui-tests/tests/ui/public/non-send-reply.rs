use phyx::prelude::*;
use std::rc::Rc;

pub struct Counter {
    count: u8,
}

#[process]
impl Counter {
    #[public]
    pub fn get(&self) -> Rc<u8> {
        Rc::new(self.count)
    }
}

fn main() {}
