use phyx::prelude::*;

pub struct Worker;

#[process]
impl Worker {
    #[public]
    pub fn run(&self, job: Box<dyn FnOnce() -> u32>) -> u32 {
        job()
    }
}

fn main() {}
