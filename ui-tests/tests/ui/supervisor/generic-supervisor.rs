use phyx::prelude::*;

#[derive(Default)]
struct Worker;

#[process]
impl Worker {
    #[public]
    fn ping(&self) {}
}

#[derive(Clone)]
struct Shop<T>(T);

#[supervisor]
impl<T: Clone + Send + Sync + 'static> Shop<T> {
    #[child]
    fn worker(&self) -> Worker {
        Worker
    }
}

fn main() {}
