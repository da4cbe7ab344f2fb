use phyx::prelude::*;

#[derive(Default)]
struct Counter {
    count: u64,
}

#[process]
impl Counter {
    #[public]
    fn get(&self) -> u64 {
        self.count
    }
}

async fn run(system: System, counter: CounterRef) {
    let mut saga = system.saga("count");
    let _ = saga.step(|_| counter.get()).await;
    saga.commit();
}

fn main() {
    let _ = run;
}
