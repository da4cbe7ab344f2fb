// A user's own type that is not `Send`, as an argument of a plain and of
// an `async` handler and as a reply: one error each, on the type.
use phyx::prelude::*;
use std::rc::Rc;

pub struct Job {
    data: Rc<u8>,
}

pub struct Worker {
    done: u64,
}

#[process]
impl Worker {
    #[public]
    pub fn run(&mut self, job: Job) {
        self.done += u64::from(*job.data);
    }

    #[public]
    pub async fn run_later(&mut self, job: Job) {
        tokio::task::yield_now().await;
        self.done += u64::from(*job.data);
    }

    #[public]
    pub fn next(&mut self) -> Job {
        Job { data: Rc::new(1) }
    }
}

fn main() {}
