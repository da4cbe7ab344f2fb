//! The first thing written in a module: a `pub` process whose `#[public]`
//! methods are private to the module. `CounterRef` and `CounterMsg` are
//! named in the module only (where the methods can be called), yet the
//! process spawns from anywhere `Counter` is visible, its handle's
//! lifecycle works there, and `<Counter as phyx::Process>::Ref` names the handle
//! in a public signature.

use phyx::prelude::*;

mod counter {
    use phyx::prelude::*;

    #[derive(Default)]
    pub struct Counter {
        count: u64,
    }

    /// Private to the module, like the method that takes it.
    struct Step(u64);

    #[process]
    impl Counter {
        #[public]
        fn add(&mut self, step: Step) {
            self.count += step.0;
        }

        #[public]
        fn get(&self) -> u64 {
            self.count
        }
    }

    pub async fn add_twice(counter: &<Counter as phyx::Process>::Ref, by: u64) -> u64 {
        let same: &CounterRef = counter;
        same.add(Step(by)).await.unwrap();
        counter.add(Step(by)).await.unwrap();
        counter.get().await.unwrap()
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let system = System::new();
    let counter = system.spawn(counter::Counter::default);
    assert_eq!(counter::add_twice(&counter, 2).await, 4);
    assert_eq!(counter.name(), "Counter");
    counter.stop().await;
    system.shutdown().await;
}
