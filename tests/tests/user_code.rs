//! Every place where phyx runs code of the user's, made to panic and made
//! to never return: the process crashes or is abandoned, its callers are
//! told, and the system still shuts down. On virtual time.
//!
//! Covered elsewhere: handlers that panic (`crashes.rs`), a panicking
//! factory (`crashes.rs`), a stop hook that never returns
//! (`lifecycle.rs`), a handler that never returns at shutdown
//! (`testkit.rs`), drops of state, replies, payloads and arguments that
//! panic (`hangs.rs`). Synchronous code that blocks its thread without
//! ever returning (a factory, a sync handler in a busy loop) cannot be
//! abandoned by any async runtime, and is not tested.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use phyx::prelude::*;
use phyx::{CallError, SpawnOptions, Status, StopReason, event::EventKind};
use phyx_testkit::TestSystem;
use phyx_tests::Gate;

const LONG: Duration = Duration::from_secs(3600);

/// Panics, or never returns, in its start hook, as its flag says.
struct Starter {
    starts: Arc<AtomicU32>,
    hang: bool,
}

#[process(max_restarts = 2, within = "1m", backoff(initial = "1s"), shutdown = "2s")]
impl Starter {
    #[on_start]
    async fn start(&mut self) {
        let start = self.starts.fetch_add(1, Ordering::SeqCst);
        if self.hang {
            std::future::pending::<()>().await;
        }
        assert!(start > 0, "the first start fails");
    }

    #[public]
    fn ping(&self) -> &'static str {
        "pong"
    }
}

fn starter(hang: bool) -> (impl Fn() -> Starter + Send + Sync + 'static, Arc<AtomicU32>) {
    let starts = Arc::new(AtomicU32::new(0));
    let counter = starts.clone();
    (
        move || Starter {
            starts: counter.clone(),
            hang,
        },
        starts,
    )
}

#[tokio::test]
async fn a_start_hook_that_panics_is_a_failed_start_and_the_next_start_serves() {
    let t = TestSystem::new();
    let (factory, starts) = starter(false);
    let process = t.system().spawn(factory);
    // Queued while the first start fails; handled by the second instance.
    let ping = tokio::spawn(process.ping().timeout(LONG).into_future());
    t.advance(Duration::from_secs(1)).await;
    assert_eq!(ping.await.unwrap(), Ok("pong"));
    assert_eq!(starts.load(Ordering::SeqCst), 2);
    t.events()
        .assert_panicked("Starter", "the first start fails", Duration::ZERO);
}

#[tokio::test]
async fn a_start_hook_that_never_returns_is_abandoned_at_shutdown_and_its_callers_told() {
    let t = TestSystem::new();
    let (factory, _) = starter(true);
    let process = t.system().spawn(factory);
    let ping = tokio::spawn(process.ping().timeout(LONG).into_future());
    t.settle().await;
    assert_eq!(process.status(), Status::Starting);
    t.shutdown().await;
    assert_eq!(t.elapsed(), Duration::from_secs(2), "the shutdown timeout");
    assert!(matches!(ping.await.unwrap(), Err(CallError::Stopped { .. })));
    assert_eq!(process.status(), Status::Stopped);
}

/// Its stop hook panics.
#[derive(Default)]
struct BadLoser;

#[process(restart = permanent)]
impl BadLoser {
    #[on_stop]
    fn stop(&mut self) {
        panic!("stop hook failed");
    }

    #[public]
    fn quit(&self, ctx: &mut Ctx<Self>) {
        ctx.stop();
    }

    #[public]
    fn ping(&self) -> &'static str {
        "pong"
    }
}

#[tokio::test]
async fn a_stop_hook_that_panics_still_lets_the_process_stop_or_restart() {
    let t = TestSystem::new();
    let process = t.system().spawn(|| BadLoser);
    // A normal stop of a permanent process: the panic is reported, and the
    // process restarts after its backoff, as after any normal stop.
    process.quit().await.unwrap();
    assert_eq!(process.ping().timeout(LONG).await, Ok("pong"));
    t.events()
        .assert_panicked("BadLoser", "stop hook failed", Duration::ZERO);
    assert_eq!(t.elapsed(), Duration::from_millis(100));
    t.shutdown().await;
    assert_eq!(process.status(), Status::Stopped);
    assert_eq!(t.events().panics_of("BadLoser").len(), 2);
    assert_eq!(t.elapsed(), Duration::from_millis(100));
}

/// A child whose builder panics at its first start.
#[derive(Default)]
struct Leaf;

#[process]
impl Leaf {
    #[public]
    fn ping(&self) -> &'static str {
        "pong"
    }
}

#[derive(Clone)]
struct Tree {
    builds: Arc<AtomicU32>,
}

#[supervisor(max_restarts = 5, within = "1m")]
impl Tree {
    #[child(backoff(initial = "1s"))]
    fn leaf(&self) -> Leaf {
        assert!(self.builds.fetch_add(1, Ordering::SeqCst) > 0, "no leaf yet");
        Leaf
    }
}

#[tokio::test]
async fn a_child_builder_that_panics_is_a_failed_start_of_that_child() {
    let t = TestSystem::new();
    let builds = Arc::new(AtomicU32::new(0));
    let tree = t.system().spawn({
        let builds = builds.clone();
        move || Tree { builds: builds.clone() }
    });
    let ping = tokio::spawn(tree.leaf().ping().timeout(LONG).into_future());
    t.advance(Duration::from_secs(1)).await;
    assert_eq!(ping.await.unwrap(), Ok("pong"));
    assert_eq!(builds.load(Ordering::SeqCst), 2);
    assert!(matches!(
        &t.events().stops_of("leaf")[..],
        [] // restarted, never stopped for good
    ));
    assert_eq!(tree.status(), Status::Running);
}

/// An argument whose drop panics, evicted from a full drop-oldest mailbox
/// by a later tell.
struct Fuse;

impl Drop for Fuse {
    fn drop(&mut self) {
        panic!("the evicted argument exploded");
    }
}

#[derive(Default)]
struct Sink {
    kept: u32,
}

#[process(mailbox = 1, overflow = drop_oldest)]
impl Sink {
    #[public]
    fn put(&mut self, fuse: Fuse) {
        std::mem::forget(fuse);
        self.kept += 1;
    }

    #[public]
    fn kept(&self) -> u32 {
        self.kept
    }

    #[public]
    async fn hold(&self, gate: Gate) {
        gate.pass().await;
    }
}

#[tokio::test]
async fn an_evicted_argument_whose_drop_panics_does_not_unwind_into_the_sender() {
    let t = TestSystem::new();
    let sink = t.system().spawn(Sink::default);
    let gate = Gate::new();
    sink.hold(gate.clone()).send().unwrap();
    gate.entered().await;
    // The first is queued, the second evicts it.
    for _ in 0..2 {
        assert_eq!(sink.put(Fuse).send(), Ok(()));
    }
    gate.open();
    t.settle().await;
    assert_eq!(sink.kept().timeout(LONG).await, Ok(1));
    assert_eq!(
        t.events()
            .count(|kind| matches!(kind, EventKind::MessageDropped { .. })),
        1
    );
}

#[tokio::test]
async fn an_event_sink_that_panics_misses_that_event_and_nothing_else() {
    let seen = Arc::new(AtomicU32::new(0));
    let system = phyx::System::builder()
        .clock(phyx_testkit::VirtualClock::new())
        .on_event({
            let seen = seen.clone();
            move |event| {
                seen.fetch_add(1, Ordering::SeqCst);
                assert!(!matches!(event.kind, EventKind::Started), "the sink failed");
            }
        })
        .build();
    let leaf = system.spawn(|| Leaf);
    assert_eq!(leaf.ping().await, Ok("pong"));
    system.shutdown().await;
    assert_eq!(leaf.status(), Status::Stopped);
    // spawned, started (the sink panicked), stopped
    assert_eq!(seen.load(Ordering::SeqCst), 3);
}

/// A tell's reply whose drop panics: a tell discards what the handler
/// returns, in the process.
#[derive(Default)]
struct Teller;

struct Dud;

impl Drop for Dud {
    fn drop(&mut self) {
        panic!("the discarded reply exploded");
    }
}

#[process(backoff(initial = "0ms"))]
impl Teller {
    #[public]
    fn make(&self) -> Dud {
        Dud
    }

    #[public]
    fn ping(&self) -> &'static str {
        "pong"
    }
}

#[tokio::test]
async fn a_told_reply_whose_drop_panics_is_a_crash_like_any_other() {
    let t = TestSystem::new();
    let teller = t.system().spawn(|| Teller);
    teller.make().send().unwrap();
    assert_eq!(teller.ping().timeout(LONG).await, Ok("pong"));
    assert_eq!(
        t.events().panics_of("Teller")[0].message,
        "the discarded reply exploded"
    );
    assert!(matches!(
        t.events().stops_of("Teller")[..],
        [] // restarted, not stopped
    ));
    let options = SpawnOptions::new().restart(phyx::Restart::Temporary);
    let temporary = t.system().spawn_with(|| Teller, options);
    temporary.make().send().unwrap();
    t.settle().await;
    assert!(matches!(
        &t.events().stops_of("Teller")[..],
        [(_, StopReason::Panicked { message })] if &**message == "the discarded reply exploded"
    ));
    assert!(matches!(temporary.ping().await, Err(CallError::Stopped { .. })));
}
