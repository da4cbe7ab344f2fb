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

#[supervisor(strategy = one_for_one, strategy = one_for_all)]
impl Shop {
    #[child]
    fn worker(&self) -> Worker {
        Worker
    }
}

fn main() {}
