use phyx::prelude::*;

#[derive(Default)]
struct Worker;

#[process]
impl Worker {
    #[public]
    fn ping(&self) {}
}

struct Shop;

#[supervisor]
impl Shop {
    #[child]
    fn worker(&self) -> Worker {
        Worker
    }
}

fn main() {}
