use phyx::prelude::*;

pub struct Monitor;

#[process]
impl Monitor {
    #[on_down]
    fn peer_down(&mut self, ctx: &mut Ctx<Self>) {
        ctx.stop();
    }
}

fn main() {}
