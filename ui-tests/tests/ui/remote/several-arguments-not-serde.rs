use phyx::prelude::*;

pub struct Job {
    pub id: u64,
}

pub struct Deadline(pub std::time::Instant);

#[derive(Default)]
pub struct Worker {
    done: u64,
}

#[process(remote)]
impl Worker {
    #[public]
    pub fn run(&mut self, job: Job, by: u64, deadline: Deadline) -> u64 {
        let _ = deadline;
        self.done += job.id + by;
        self.done
    }

    #[public]
    pub async fn queue(&mut self, jobs: Vec<Job>) {
        self.done += jobs.len() as u64;
    }
}

fn main() {}
