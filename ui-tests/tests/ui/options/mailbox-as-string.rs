use phyx::prelude::*;

pub struct Counter {
    count: u64,
}

#[process(mailbox = "16", restart = always)]
impl Counter {
    #[public]
    pub fn get(&self) -> u64 {
        self.count
    }
}

fn main() {}
