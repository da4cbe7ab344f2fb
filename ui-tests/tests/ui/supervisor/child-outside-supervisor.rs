use phyx::prelude::*;

#[derive(Default)]
struct Worker;

#[process]
impl Worker {
    #[public]
    fn ping(&self) {}
}

struct Plain;

impl Plain {
    #[child]
    fn worker(&self) -> Worker {
        Worker
    }
}

fn main() {}
