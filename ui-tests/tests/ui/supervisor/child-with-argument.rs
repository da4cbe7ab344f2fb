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
    fn worker(&self, id: u32) -> Worker {
        let _ = id;
        Worker
    }
}

fn main() {}
