use phyx::prelude::*;

pub struct Counter {
    count: u64,
}

#[process(mailbox = 0, overflow = drop_newest, restart = always, within = "5 seconds", shutdown = "5", colour = red)]
impl Counter {
    #[public]
    pub fn get(&self) -> u64 {
        self.count
    }
}

fn main() {}
