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

#[supervisor]
impl Shop {
    #[child]
    fn worker(&self) -> Worker {
        Worker
    }

    #[public]
    fn open(&self) {}
}

fn main() {}
