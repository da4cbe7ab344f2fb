//! A `pub` process with `pub` methods in a module: the handle and the
//! messages are `pub` types of the module, usable anywhere.

use phyx::prelude::*;

pub mod counter {
    use phyx::prelude::*;

    #[derive(Default)]
    pub struct Counter {
        count: u64,
    }

    #[process]
    impl Counter {
        /// Adds `by`.
        #[public]
        pub fn add(&mut self, by: u64) -> u64 {
            self.count += by;
            self.count
        }

        /// Private to the module, on a public handle.
        #[public]
        fn reset(&mut self) {
            self.count = 0;
        }
    }

    pub async fn reset(counter: &CounterRef) {
        counter.reset().await.unwrap();
    }
}

/// A public handle can go in a public signature and a public field.
pub struct Holder {
    pub counter: counter::CounterRef,
}

/// Users may implement their own traits for the handle.
trait Doubled {
    fn doubled(&self, by: u64) -> phyx::Call<u64, counter::CounterRef>;
}

impl Doubled for counter::CounterRef {
    fn doubled(&self, by: u64) -> phyx::Call<u64, counter::CounterRef> {
        self.add(by * 2)
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let system = System::new();
    let holder = Holder {
        counter: system.spawn(counter::Counter::default),
    };
    assert_eq!(holder.counter.add(2).await.unwrap(), 2);
    assert_eq!(holder.counter.doubled(2).await.unwrap(), 6);
    counter::reset(&holder.counter).await;
    assert_eq!(holder.counter.add(1).await.unwrap(), 1);
    system.shutdown().await;
}
