//! `#[idempotent]` on a `#[process(remote)]`: the table lives with the
//! process, on the node that serves it, so duplicates from every node are
//! deduplicated together.

use std::collections::HashMap;
use std::future::IntoFuture;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use phyx::prelude::*;
use phyx::{Reply, System};

use crate::fixture::{node, server};

/// A bound nothing here should come near: reaching it is a hang.
const HANG: Duration = Duration::from_secs(30);

/// How many times each key's handler ran: shared by the nodes, which are
/// systems of this one OS process.
#[derive(Clone, Default)]
struct Runs(Arc<Mutex<HashMap<String, u32>>>);

impl Runs {
    fn ran(&self, key: &str) {
        *self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key.to_owned())
            .or_default() += 1;
    }

    fn of(&self, key: &str) -> u32 {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(key)
            .copied()
            .unwrap_or(0)
    }
}

struct Orders {
    runs: Runs,
    placed: u64,
}

#[process(remote)]
impl Orders {
    #[public]
    #[idempotent(key = order, window = "10m")]
    async fn place(&mut self, order: String) -> Result<u64, String> {
        self.runs.ran(&order);
        tokio::time::sleep(Duration::from_millis(50)).await;
        self.placed += 1;
        Ok(self.placed)
    }

    /// Replies from a task, 200 ms later: duplicates from both nodes reach
    /// the process while the reply is owed.
    #[public]
    #[idempotent(key = order, window = "10m")]
    fn place_later(&mut self, order: String, reply: Reply<u64>) {
        self.runs.ran(&order);
        self.placed += 1;
        let placed = self.placed;
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            reply.send(placed);
        });
    }
}

/// Twenty duplicates of `call`, ten through each handle, all at once;
/// their replies.
async fn race<R: Send + 'static, C: IntoFuture<Output = Result<R, CallError>> + Send + 'static>(
    handles: [&OrdersRef; 2],
    call: impl Fn(&OrdersRef) -> C,
) -> Vec<R>
where
    C::IntoFuture: Send,
{
    let tasks: Vec<_> = (0..20)
        .map(|n| tokio::spawn(call(handles[n % 2]).into_future()))
        .collect();
    let mut replies = Vec::new();
    for task in tasks {
        let reply = tokio::time::timeout(HANG, task).await.expect("no hang").unwrap();
        replies.push(reply.unwrap_or_else(|error| panic!("a duplicate failed: {error}")));
    }
    replies
}

async fn serve(a: &System, runs: &Runs) -> OrdersRef {
    let runs = runs.clone();
    let orders = a.spawn(move || Orders {
        runs: runs.clone(),
        placed: 0,
    });
    a.register("orders", &orders).await.unwrap();
    orders
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicates_from_two_nodes_run_the_handler_once_on_the_serving_node() {
    let Some(server) = server() else { return };
    let (a, b) = (node(&server, "a").await, node(&server, "b").await);
    let runs = Runs::default();
    let local = serve(&a, &runs).await;
    let remote: OrdersRef = b.lookup("orders").await.unwrap();

    let replies = race([&local, &remote], |orders| orders.place("o-1".into())).await;
    assert!(replies.iter().all(|reply| *reply == Ok(1)), "{replies:?}");
    assert_eq!(runs.of("o-1"), 1);

    let replies = race([&remote, &local], |orders| orders.place_later("o-2".into())).await;
    assert!(replies.iter().all(|reply| *reply == 2), "{replies:?}");
    assert_eq!(runs.of("o-2"), 1);

    // A tell from the other node is deduplicated as well.
    remote.place("o-1".into()).send_wait().await.unwrap();
    assert_eq!(remote.place("o-3".into()).await.unwrap(), Ok(3));
    assert_eq!(runs.of("o-1"), 1);
    a.shutdown().await;
    b.shutdown().await;
}
