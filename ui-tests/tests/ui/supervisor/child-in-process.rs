use phyx::prelude::*;

#[derive(Default)]
struct Worker;

#[process]
impl Worker {
    #[public]
    fn ping(&self) {}
}

struct Counter;

#[process]
impl Counter {
    #[child]
    fn worker(&self) -> Worker {
        Worker
    }
}

fn main() {}
