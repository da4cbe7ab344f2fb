use phyx::prelude::*;

pub struct Report {
    pub done: u64,
}

#[derive(Default)]
pub struct Worker {
    done: u64,
}

#[process(remote)]
impl Worker {
    #[public]
    pub fn report(&self, reply: Reply<Report>) {
        reply.send(Report { done: self.done });
    }
}

fn main() {}
