use phyx::prelude::*;
use std::rc::Rc;

#[derive(Default)]
pub struct Counter {
    count: u64,
}

#[process(remote)]
impl Counter {
    #[public]
    pub fn add(&mut self, by: Rc<u8>) {
        self.count += u64::from(*by);
    }
}

fn main() {}
