use phyx::prelude::*;

pub struct Counter {
    count: u64,
}

#[process]
impl Counter {
    #[public]
    pub fn get(&self, ctx: &Ctx<Self>) -> u64 {
        let _ = ctx;
        self.count
    }
}

fn main() {}
