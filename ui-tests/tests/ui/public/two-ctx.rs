use phyx::prelude::*;

pub struct Counter {
    count: u64,
}

#[process]
impl Counter {
    #[public]
    pub fn get(&self, ctx: &mut Ctx<Self>, again: &mut Ctx<Self>) -> u64 {
        let _ = (ctx, again);
        self.count
    }
}

fn main() {}
