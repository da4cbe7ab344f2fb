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

#[supervisor(max_restarts = 3, within = "5 secs")]
impl Shop {
    #[child]
    fn worker(&self) -> Worker {
        Worker
    }
}

fn main() {}
