use phyx::prelude::*;

#[derive(Default)]
pub struct Worker;

#[process]
impl Worker {
    #[public]
    pub fn work(&self) {}
}

pub struct Root;

#[supervisor]
impl Root {
    #[child(journal)]
    fn worker(&self) -> Worker {
        Worker
    }
}

fn main() {}
