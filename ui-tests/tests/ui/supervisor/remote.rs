use phyx::prelude::*;

#[derive(Default)]
struct Worker;

#[process(remote)]
impl Worker {
    #[public]
    fn ping(&self) {}
}

#[derive(Clone)]
struct Shop;

#[supervisor(remote)]
impl Shop {
    #[child]
    fn worker(&self) -> Worker {
        Worker
    }
}

fn main() {}
