use phyx::prelude::*;

#[derive(Default)]
pub struct Worker;

#[process]
impl Worker {
    #[public]
    pub fn work(&self) {}
}

pub struct Monitor;

#[process]
impl Monitor {
    #[public]
    pub fn watch(&self, ctx: &mut Ctx<Self>, worker: WorkerRef) {
        ctx.watch(&worker);
    }
}

fn main() {}
