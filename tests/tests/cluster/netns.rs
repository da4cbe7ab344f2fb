//! A node in a network namespace of its own, whose only way to the server
//! is a veth pair that the test takes down and brings back: a partition
//! made by the kernel (packets dropped, neither end told), not by a proxy.
//! The node is a separate OS process (the `cluster-node` binary, run with
//! `ip netns exec`); the server listens on the host's end of the pair.
//!
//! It needs root and iproute2; without them it says so on stderr and
//! passes, unless `PHYX_REQUIRE_NETNS=1` (CI, which runs as root, sets
//! it).

use std::process::Command;
use std::time::{Duration, Instant};

use phyx::CallError;
use phyx_testkit::nats::NatsServer;
use phyx_testkit::net::Namespace;
use phyx_tests::remote::WorkerRef;

use crate::fixture::{DETECTION, node};
use crate::nodes::NodeProcess;

/// A bound no detection, retransmission or reconnect should come near:
/// reaching it is a hang.
const HANG: Duration = Duration::from_secs(30);

async fn guarded<T>(what: &str, future: impl std::future::IntoFuture<Output = T>) -> T {
    tokio::time::timeout(HANG, future)
        .await
        .unwrap_or_else(|_| panic!("{what} hung for {HANG:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_across_a_link_that_goes_down_is_declared_down_and_found_again_once_it_is_up() {
    // Declared first, dropped last: the namespace outlives the node in it.
    let Some(namespace) = Namespace::create() else { return };
    let Some(server) = NatsServer::builder().listen_on(namespace.host_addr()).start() else {
        return;
    };
    let command: Command = namespace.command(NodeProcess::BINARY);
    let _far = NodeProcess::start_with(command, &server.url(), "far", "worker", &[]);
    let caller = node(&server, "caller").await;
    let worker: WorkerRef = guarded("the lookup", caller.lookup("worker")).await.unwrap();
    assert_eq!(guarded("a first call", worker.node()).await.unwrap(), "far");

    // Longer than the detection time, short enough that the calls after
    // the heal, queued behind it on the worker, do not wait long.
    let in_flight = tokio::spawn({
        let worker = worker.clone();
        async move { worker.nap(3_000).await }
    });
    // The nap's start cannot be seen from here (the worker is in another
    // process); the call is on its way well within this.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let partitioned_at = Instant::now();
    namespace.partition();
    let result = guarded("the call in flight across the link", in_flight).await.unwrap();
    let detected_after = partitioned_at.elapsed();
    match result {
        Err(CallError::NodeDown { node, .. }) => assert_eq!(&*node, "far"),
        other => panic!("expected NodeDown of `far`, got {other:?}"),
    }
    assert!(matches!(
        guarded("a later call", worker.handled()).await,
        Err(CallError::NodeDown { .. })
    ));
    eprintln!("link down: NodeDown {detected_after:?} after (detection {DETECTION:?})");

    namespace.heal();
    let healed_at = Instant::now();
    let found = guarded("a lookup once the link is up", async {
        loop {
            if let Ok(worker) = caller.lookup::<WorkerRef>("worker").await {
                return worker;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    let found_after = healed_at.elapsed();
    assert_eq!(
        guarded("a call once the link is up", found.node()).await.unwrap(),
        "far"
    );
    eprintln!("link up: found again {found_after:?} after");
    caller.shutdown().await;
}
