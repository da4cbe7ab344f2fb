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
    #[child(durable)]
    fn worker(&self) -> Worker {
        Worker
    }
}

fn main() {}
