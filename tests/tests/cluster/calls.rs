//! Asks, tells and their errors across nodes.

use phyx::CallError;
use phyx::prelude::*;

use crate::fixture::{node, server};

#[derive(Default)]
struct Counter {
    count: u64,
}

#[process(remote)]
impl Counter {
    #[public]
    fn add(&mut self, by: u64) -> u64 {
        self.count += by;
        self.count
    }

    #[public]
    fn get(&self) -> u64 {
        self.count
    }

    #[public]
    fn check(&self, limit: u64) -> Result<u64, String> {
        if self.count > limit {
            Err(format!("{} is over {limit}", self.count))
        } else {
            Ok(self.count)
        }
    }

    #[public]
    fn explode(&self) {
        panic!("remote boom");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ask_a_tell_and_a_result_cross_between_nodes() {
    let Some(server) = server() else { return };
    let (a, b) = (node(&server, "a").await, node(&server, "b").await);
    let counter = a.spawn(Counter::default);
    a.register("counter", &counter).await.unwrap();

    let remote: CounterRef = b.lookup("counter").await.unwrap();
    assert_eq!(remote.add(2).await.unwrap(), 2);
    remote.add(3).send().unwrap();
    remote.add(4).send_wait().await.unwrap();
    assert_eq!(remote.get().await.unwrap(), 9);
    assert_eq!(remote.check(5).await.unwrap(), Err("9 is over 5".to_owned()));
    assert_eq!(counter.get().await.unwrap(), 9);

    match remote.explode().await {
        Err(CallError::Panicked { message, .. }) => assert_eq!(&*message, "remote boom"),
        other => panic!("expected Panicked, got {other:?}"),
    }
    // Restarted with fresh state, reached through the same handle.
    assert_eq!(remote.get().await.unwrap(), 0);
    a.shutdown().await;
    b.shutdown().await;
}
