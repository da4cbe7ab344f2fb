use phyx::prelude::*;

struct Worker;

#[process]
impl Worker {
    #[public]
    fn work(&self) {}
}

struct Shop;

#[supervisor]
impl Shop {
    #[child]
    #[trace]
    fn worker(&self) -> Worker {
        Worker
    }
}

fn main() {}
