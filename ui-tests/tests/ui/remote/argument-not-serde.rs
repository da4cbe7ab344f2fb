use phyx::prelude::*;

pub struct Job {
    pub id: u64,
}

#[derive(Default)]
pub struct Worker {
    done: u64,
}

#[process(remote)]
impl Worker {
    #[public]
    pub fn run(&mut self, job: Job) -> u64 {
        self.done += job.id;
        self.done
    }
}

fn main() {}
