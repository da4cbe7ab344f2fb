//! The kernel's restart machinery, unchanged: backoff, the restart limit,
//! supervisors and pools treat an isolated process as any other.

use std::time::Duration;

use phyx::isolated::Isolated;
use phyx::prelude::*;
use phyx::{Backoff, SpawnOptions, StopReason};
use phyx_tests::isolated::{Cruncher, CruncherRef};

use crate::fixture::{child, parent, server, within};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_its_restart_limit_an_isolated_process_stops_for_good() {
    let Some(server) = server() else { return };
    let system = parent(&server).await;
    let mut events = system.events();
    let cruncher: CruncherRef = system.spawn_isolated_with::<Cruncher>(
        child(),
        SpawnOptions::new()
            .name("fragile")
            .backoff(Backoff::none())
            .max_restarts(1, Duration::from_secs(60)),
    );
    for _ in 0..2 {
        let error = within("an abort", cruncher.abort()).await.unwrap_err();
        assert!(matches!(error, CallError::Panicked { .. }), "{error:?}");
    }
    let reason = within("the stop for good", cruncher.stopped()).await;
    let StopReason::Panicked { message } = reason else {
        panic!("expected a crash, got {reason:?}");
    };
    assert!(message.contains("died: signal 6 (SIGABRT)"), "{message}");
    let limit = within("the limit's event", async {
        while let Some(event) = events.recv().await {
            if let phyx::event::EventKind::RestartLimitReached { max_restarts, .. } = event.kind {
                return max_restarts;
            }
        }
        panic!("no limit reached")
    })
    .await;
    assert_eq!(limit, 1);
    let error = cruncher.call().await.unwrap_err();
    assert!(matches!(error, CallError::Stopped { .. }), "{error:?}");
    within("the shutdown", system.shutdown()).await;
}

/// A supervisor with an isolated child, which gives up after one restart.
struct Lab;

#[supervisor(max_restarts = 1, within = "60s")]
impl Lab {
    #[child(backoff(initial = "0ms"))]
    fn cruncher(&self) -> Isolated<Cruncher> {
        Isolated::new(child())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_restarts_an_isolated_child_and_escalates_past_its_intensity() {
    let Some(server) = server() else { return };
    let system = parent(&server).await;
    let lab = system.spawn(|| Lab);
    let cruncher = lab.cruncher();
    let (_, first) = within("a first call", cruncher.call()).await.unwrap();
    within("an abort", cruncher.abort()).await.unwrap_err();
    // Restarted by its supervisor, in a fresh child; the handle still works.
    let (calls, second) = within("a call after the restart", cruncher.call()).await.unwrap();
    assert_eq!(calls, 1);
    assert_ne!(second, first);
    within("a second abort", cruncher.abort()).await.unwrap_err();
    let reason = within("the supervisor's end", lab.stopped()).await;
    assert!(matches!(reason, StopReason::Escalated { .. }), "{reason:?}");
    within("the shutdown", system.shutdown()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pool_of_isolated_members_keeps_serving_when_one_dies() {
    let Some(server) = server() else { return };
    let system = parent(&server).await;
    let pool: CruncherRef = system.pool_with(
        2,
        || Isolated::<Cruncher>::new(child()),
        SpawnOptions::new().name("crunchers").backoff(Backoff::none()),
    );
    let mut pids = std::collections::BTreeSet::new();
    for _ in 0..4 {
        pids.insert(within("a call", pool.call()).await.unwrap().1);
    }
    within("an abort", pool.abort()).await.unwrap_err();
    for _ in 0..4 {
        within("a call after the abort", pool.call()).await.unwrap();
    }
    within("the shutdown", system.shutdown()).await;
}

/// A supervisor that restarts both children when either crashes.
struct Bench;

#[supervisor(strategy = one_for_all, max_restarts = 5, within = "60s")]
impl Bench {
    #[child(backoff(initial = "0ms"))]
    fn counter(&self) -> phyx_tests::Counter {
        phyx_tests::Counter::default()
    }

    #[child(backoff(initial = "0ms"))]
    fn cruncher(&self) -> Isolated<Cruncher> {
        Isolated::new(child())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_restart_ends_the_isolated_call_in_flight_and_replaces_its_child() {
    let Some(server) = server() else { return };
    let system = parent(&server).await;
    let bench = system.spawn(|| Bench);
    let cruncher = bench.cruncher();
    let (_, first) = within("a first call", cruncher.call()).await.unwrap();
    // Busy in its child for ten minutes, a call waiting behind: the group
    // restart waits for neither.
    cruncher.spin(600_000).send().unwrap();
    while cruncher.queued() > 0 {
        tokio::task::yield_now().await;
    }
    let waiting = tokio::spawn(cruncher.call().into_future());
    within("the sibling's crash", bench.counter().fail("boom".into()))
        .await
        .unwrap_err();
    // The call that waited is the fresh instance's first, in a new child.
    let (calls, second) = within("the call that waited", waiting).await.unwrap().unwrap();
    assert_eq!(calls, 1);
    assert_ne!(second, first);
    crate::fixture::gone(first).await;
    within("the shutdown", system.shutdown()).await;
}
