//! A pool across nodes: one name registered from several nodes, one
//! handle that spreads calls over them.

use std::collections::BTreeSet;
use std::time::Duration;

use phyx::CallError;
use phyx_tests::remote::{Worker, WorkerRef};

use crate::fixture::{node, server};
use crate::nodes::NodeProcess;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_to_a_pool_across_nodes_reach_every_member() {
    let Some(server) = server() else { return };
    let (a, b, caller) = (
        node(&server, "a").await,
        node(&server, "b").await,
        node(&server, "caller").await,
    );
    for (system, name) in [(&a, "a"), (&b, "b")] {
        let worker = system.spawn(move || Worker::on(name));
        system.register_pool("workers", &worker).await.unwrap();
    }
    let workers: WorkerRef = caller.lookup("workers").await.unwrap();
    let mut seen = BTreeSet::new();
    for _ in 0..200 {
        seen.insert(workers.node().await.unwrap());
    }
    assert_eq!(seen, BTreeSet::from(["a".to_owned(), "b".to_owned()]));
    for system in [a, b, caller] {
        system.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_member_fails_only_its_calls_and_the_pool_carries_on() {
    let Some(server) = server() else { return };
    let mut doomed = NodeProcess::start(&server, "doomed", "workers", true);
    let survivor = node(&server, "survivor").await;
    let worker = survivor.spawn(|| Worker::on("survivor"));
    survivor.register_pool("workers", &worker).await.unwrap();
    let caller = node(&server, "caller").await;
    let workers: WorkerRef = caller.lookup("workers").await.unwrap();

    // Long calls on both members, then one member dies.
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let workers = workers.clone();
            tokio::spawn(async move { workers.nap(2_000).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    doomed.kill();
    let (mut down, mut done) = (0, 0);
    for call in calls {
        match tokio::time::timeout(Duration::from_secs(30), call)
            .await
            .expect("no call hangs")
            .unwrap()
        {
            Ok(_) => done += 1,
            Err(CallError::NodeDown { node, .. }) => {
                assert_eq!(&*node, "doomed");
                down += 1;
            }
            Err(other) => panic!("unexpected {other}"),
        }
    }
    assert!(
        down > 0 && done > 0,
        "{down} calls hit the dead member, {done} the survivor"
    );
    // From now on every call reaches the survivor.
    for _ in 0..20 {
        assert_eq!(workers.node().await.unwrap(), "survivor");
    }
    caller.shutdown().await;
    survivor.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_a_pool_handle_ends_the_handle_and_leaves_the_members() {
    let Some(server) = server() else { return };
    let (a, caller) = (node(&server, "a").await, node(&server, "caller").await);
    let member = a.spawn(|| Worker::on("a"));
    a.register_pool("workers", &member).await.unwrap();
    let workers: WorkerRef = caller.lookup("workers").await.unwrap();
    assert_eq!(workers.node().await.unwrap(), "a");
    phyx::Handle::stop(&workers).await;
    assert!(matches!(workers.node().await, Err(CallError::Stopped { .. })));
    assert_eq!(phyx::Handle::status(&member), phyx::Status::Running);
    let again: WorkerRef = caller.lookup("workers").await.unwrap();
    assert_eq!(again.node().await.unwrap(), "a");
    a.shutdown().await;
    caller.shutdown().await;
}
