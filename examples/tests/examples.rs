//! Runs every example's logic and checks what it reports.
//!
//! Each example is a module here (`#[path]`), so these tests call the same
//! `run` that its `main` calls. Most run on the test kit's virtual time, so
//! sleeps, timeouts and backoff take no real time and every run is the
//! same.

use std::collections::BTreeSet;
use std::time::Duration;

use phyx::CallError;
use phyx_testkit::TestSystem;

// Each example's `main` is for `cargo run --example`; these tests call its
// `run`, so `main` is dead code here.
#[path = "../flaky_worker.rs"]
#[allow(dead_code, reason = "`main` is for `cargo run`")]
pub mod flaky_worker;
#[path = "../quickstart.rs"]
#[allow(dead_code, reason = "`main` is for `cargo run`")]
pub mod quickstart;
#[path = "../request_reply.rs"]
#[allow(dead_code, reason = "`main` is for `cargo run`")]
pub mod request_reply;

#[tokio::test]
async fn quickstart_tells_asks_times_out_and_recovers() {
    let t = TestSystem::new();
    let summary = quickstart::run(t.system()).await.unwrap();
    assert_eq!(summary.count, 5);
    assert!(matches!(summary.slow_get, Err(CallError::Timeout { after, .. }) if after == Duration::from_millis(50)));
    assert!(matches!(summary.divide, Err(CallError::Panicked { .. })));
    assert_eq!(summary.after_restart, 1, "fresh state after the crash");
}

#[tokio::test]
async fn flaky_worker_loses_only_the_items_that_panicked() {
    let t = TestSystem::with_seed(2024);
    let summary = flaky_worker::run(t.system(), 100).await.unwrap();
    let unlucky: BTreeSet<u32> = (1..=100).filter(|&item| flaky_worker::fails(2024, item)).collect();
    assert!((5..=20).contains(&unlucky.len()), "about a tenth: {unlucky:?}");
    assert_eq!(summary.lost, unlucky);
    assert_eq!(summary.done.len() + summary.lost.len(), 100);
    assert_eq!(summary.crashes, summary.lost.len(), "one crash per lost item");
    let last_lost = summary.lost.last().unwrap();
    assert_eq!(
        summary.last_instance_processed,
        100 - last_lost,
        "the last instance started fresh after the last crash"
    );
}

#[tokio::test]
async fn request_reply_finds_users_and_times_out_on_the_slow_shard() {
    let t = TestSystem::new();
    let lookups = request_reply::run(t.system()).await.unwrap();
    let found: Vec<(&str, Option<&str>)> = lookups
        .iter()
        .filter_map(|(id, result)| {
            Some((
                id.as_str(),
                result.as_ref().ok()?.as_ref().map(|user| user.name.as_str()),
            ))
        })
        .collect();
    assert_eq!(
        found,
        [
            ("alice", Some("Alice")),
            ("carol", Some("Carol")),
            ("mallory", None),
            ("bob", Some("Bob"))
        ]
    );
    let (id, result) = lookups.last().unwrap();
    assert_eq!(id, "archived-dave");
    assert!(matches!(result, Err(CallError::Timeout { after, .. }) if *after == Duration::from_millis(100)));
}
