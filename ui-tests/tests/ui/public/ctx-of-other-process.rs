use phyx::prelude::*;

pub struct Other;

#[process]
impl Other {}

pub struct Counter {
    count: u64,
}

#[process]
impl Counter {
    #[public]
    pub fn get(&self, ctx: &mut Ctx<Other>) -> u64 {
        let _ = ctx;
        self.count
    }
}

fn main() {}
