use phyx::prelude::*;

pub struct Counter {
    count: u64,
}

#[process]
impl Counter {
    #[on_start]
    fn start(&mut self, ctx: &mut Ctx<Self>, initial: u64) {
        let _ = ctx;
        self.count = initial;
    }
}

fn main() {}
