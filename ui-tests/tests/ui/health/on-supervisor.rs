use phyx::prelude::*;

pub struct Worker;

#[process]
impl Worker {
    #[public]
    fn work(&self) {}
}

pub struct Shop;

#[supervisor]
impl Shop {
    #[child]
    fn worker(&self) -> Worker {
        Worker
    }

    #[health_check]
    fn health(&self) -> Health {
        Health::healthy()
    }
}

fn main() {}
