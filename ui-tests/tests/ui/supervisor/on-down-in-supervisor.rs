use phyx::prelude::*;

#[derive(Default)]
pub struct Worker;

#[process]
impl Worker {
    #[public]
    pub fn work(&self) {}
}

pub struct Team;

#[supervisor]
impl Team {
    #[child]
    fn worker(&self) -> Worker {
        Worker
    }

    #[on_down]
    fn worker_down(&mut self, _down: Down) {}
}

fn main() {}
