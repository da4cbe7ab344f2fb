//! A private process with `pub` methods: the handle is as visible as the
//! methods, so a module hands it out although the process type stays
//! private.

use phyx::prelude::*;

mod hidden {
    use phyx::prelude::*;

    #[derive(Default)]
    struct Counter {
        count: u64,
    }

    #[process]
    impl Counter {
        #[public]
        pub fn add(&mut self, by: u64) -> u64 {
            self.count += by;
            self.count
        }
    }

    pub fn start(system: &System) -> CounterRef {
        system.spawn(Counter::default)
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let system = System::new();
    let counter: hidden::CounterRef = hidden::start(&system);
    assert_eq!(counter.add(2).await.unwrap(), 2);
    let message: Option<hidden::CounterMsg> = None;
    assert!(message.is_none());
    system.shutdown().await;
}
