use phyx::prelude::*;

#[derive(Default)]
struct Worker;

#[process]
impl Worker {
    #[public]
    fn ping(&self) {}
}

#[derive(Clone)]
struct Shop;

#[supervisor(strategy = all_for_one)]
impl Shop {
    #[child]
    fn worker(&self) -> Worker {
        Worker
    }
}

fn main() {}
