//! Watching: `ctx.watch` and `#[on_down]`, and `Handle::stopped` for code
//! outside processes.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use phyx::prelude::*;
use phyx::{Backoff, Overflow, SpawnOptions, Status, StopReason, event::EventKind};
use phyx_testkit::TestSystem;
use phyx_tests::{Counter, CounterRef, Gate};

const SECOND: Duration = Duration::from_secs(1);

/// What a monitor saw, shared with the test so that it outlives the
/// monitor's restarts.
#[derive(Clone, Default)]
struct Seen {
    log: Arc<Mutex<Vec<String>>>,
    downs: Arc<Mutex<Vec<Down>>>,
    starts: Arc<AtomicU32>,
}

impl Seen {
    fn downs(&self) -> Vec<Down> {
        self.downs.lock().unwrap().clone()
    }

    fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    fn starts(&self) -> u32 {
        self.starts.load(Ordering::SeqCst)
    }
}

struct Monitor {
    seen: Seen,
    panic_on_down: bool,
}

#[process]
impl Monitor {
    #[on_start]
    fn started(&mut self) {
        self.seen.starts.fetch_add(1, Ordering::SeqCst);
    }

    #[public]
    fn watch(&mut self, ctx: &mut Ctx<Self>, counter: CounterRef) {
        ctx.watch(&counter);
    }

    #[public]
    fn watch_twice(&mut self, ctx: &mut Ctx<Self>, counter: CounterRef) {
        ctx.watch(&counter);
        ctx.watch(&counter);
    }

    #[public]
    fn unwatch(&mut self, ctx: &mut Ctx<Self>, counter: CounterRef) {
        ctx.unwatch(&counter);
    }

    #[public]
    async fn wait(&self, gate: Gate) {
        gate.pass().await;
        self.seen.log.lock().unwrap().push("handler done".into());
    }

    #[public]
    fn ping(&self) {}

    #[on_down]
    fn counter_down(&mut self, down: Down) {
        assert!(!self.panic_on_down, "on_down panicked");
        self.seen.log.lock().unwrap().push(format!("down {}", down.name()));
        self.seen.downs.lock().unwrap().push(down);
    }
}

fn monitor(seen: &Seen) -> impl Fn() -> Monitor + Send + Sync + 'static {
    let seen = seen.clone();
    move || Monitor {
        seen: seen.clone(),
        panic_on_down: false,
    }
}

/// A counter that gives up after one restart in a minute, with no backoff.
fn fragile() -> SpawnOptions {
    SpawnOptions::new()
        .max_restarts(1, Duration::from_secs(60))
        .backoff(Backoff::none())
}

#[tokio::test]
async fn a_stopped_process_delivers_down_with_who_and_why() {
    let t = TestSystem::new();
    let seen = Seen::default();
    let counter = t.system().spawn(Counter::default);
    let monitor = t.system().spawn(monitor(&seen));
    monitor.watch(counter.clone()).await.unwrap();
    Handle::stop(&counter).await;
    t.settle().await;
    let downs = seen.downs();
    assert_eq!(downs.len(), 1, "{downs:?}");
    assert_eq!(downs[0].id(), counter.id());
    assert_eq!(downs[0].name(), "Counter");
    assert_eq!(downs[0].reason(), &StopReason::Shutdown);
}

#[tokio::test]
async fn a_normal_stop_delivers_down_with_reason_normal() {
    let t = TestSystem::new();
    let seen = Seen::default();
    let counter = t.system().spawn(Counter::default);
    let monitor = t.system().spawn(monitor(&seen));
    monitor.watch(counter.clone()).await.unwrap();
    counter.quit().await.unwrap();
    t.settle().await;
    let reasons: Vec<StopReason> = seen.downs().into_iter().map(|down| down.reason).collect();
    assert_eq!(reasons, [StopReason::Normal]);
}

#[tokio::test]
async fn a_restart_delivers_nothing_and_the_watch_outlives_it() {
    let t = TestSystem::new();
    let seen = Seen::default();
    let counter = t.system().spawn(Counter::default);
    let monitor = t.system().spawn(monitor(&seen));
    monitor.watch(counter.clone()).await.unwrap();
    assert!(counter.fail("boom".into()).await.is_err());
    t.advance(SECOND).await;
    assert_eq!(counter.increment(1).await, Ok(1), "restarted");
    assert!(seen.downs().is_empty(), "a restart is not a stop: {:?}", seen.downs());
    Handle::stop(&counter).await;
    t.settle().await;
    assert_eq!(seen.downs().len(), 1, "the watch survives the watched's restart");
}

#[tokio::test]
async fn giving_up_after_the_restart_limit_delivers_down_with_the_crash() {
    let t = TestSystem::new();
    let seen = Seen::default();
    let counter = t.system().spawn_with(Counter::default, fragile());
    let monitor = t.system().spawn(monitor(&seen));
    monitor.watch(counter.clone()).await.unwrap();
    assert!(counter.fail("first".into()).await.is_err());
    t.settle().await;
    assert!(seen.downs().is_empty(), "restarted once");
    assert!(counter.fail("second".into()).await.is_err());
    t.settle().await;
    assert_eq!(counter.status(), Status::Stopped);
    let reasons: Vec<StopReason> = seen.downs().into_iter().map(|down| down.reason).collect();
    assert_eq!(
        reasons,
        [StopReason::Panicked {
            message: "second".into()
        }]
    );
}

#[tokio::test]
async fn watching_a_process_already_gone_delivers_down_at_once() {
    let t = TestSystem::new();
    let seen = Seen::default();
    let counter = t.system().spawn(Counter::default);
    counter.quit().await.unwrap();
    t.settle().await;
    let monitor = t.system().spawn(monitor(&seen));
    monitor.watch(counter.clone()).await.unwrap();
    // The Down is queued behind `watch`: handled before this ping.
    monitor.ping().await.unwrap();
    let reasons: Vec<StopReason> = seen.downs().into_iter().map(|down| down.reason).collect();
    assert_eq!(reasons, [StopReason::Normal]);
}

#[tokio::test]
async fn an_unwatched_process_delivers_nothing() {
    let t = TestSystem::new();
    let seen = Seen::default();
    let counter = t.system().spawn(Counter::default);
    let monitor = t.system().spawn(monitor(&seen));
    monitor.watch(counter.clone()).await.unwrap();
    monitor.unwatch(counter.clone()).await.unwrap();
    Handle::stop(&counter).await;
    t.settle().await;
    assert!(seen.downs().is_empty(), "{:?}", seen.downs());
    assert_eq!(monitor.status(), Status::Running);
}

#[tokio::test]
async fn watching_twice_delivers_one_down() {
    let t = TestSystem::new();
    let seen = Seen::default();
    let counter = t.system().spawn(Counter::default);
    let monitor = t.system().spawn(monitor(&seen));
    monitor.watch_twice(counter.clone()).await.unwrap();
    monitor.watch(counter.clone()).await.unwrap();
    Handle::stop(&counter).await;
    t.settle().await;
    assert_eq!(seen.downs().len(), 1, "{:?}", seen.downs());
}

#[tokio::test]
async fn one_monitor_hears_each_of_several_watched_processes() {
    let t = TestSystem::new();
    let seen = Seen::default();
    let first = t.system().spawn(Counter::default);
    let second = t.system().spawn(Counter::default);
    let monitor = t.system().spawn(monitor(&seen));
    monitor.watch(first.clone()).await.unwrap();
    monitor.watch(second.clone()).await.unwrap();
    Handle::stop(&second).await;
    Handle::stop(&first).await;
    t.settle().await;
    let ids: Vec<_> = seen.downs().iter().map(Down::id).collect();
    assert_eq!(ids, [second.id(), first.id()]);
}

#[tokio::test]
async fn a_panicking_on_down_crashes_the_watcher_which_restarts() {
    let t = TestSystem::new();
    let seen = Seen::default();
    let counter = t.system().spawn(Counter::default);
    let factory_seen = seen.clone();
    let monitor = t.system().spawn(move || Monitor {
        seen: factory_seen.clone(),
        panic_on_down: true,
    });
    monitor.watch(counter.clone()).await.unwrap();
    Handle::stop(&counter).await;
    t.advance(SECOND).await;
    let panics = t.events().panics_of("Monitor");
    assert_eq!(panics.len(), 1, "{panics:?}");
    assert_eq!(panics[0].method, Some("counter_down"));
    assert_eq!(seen.starts(), 2, "restarted with fresh state");
    assert_eq!(monitor.ping().await, Ok(()));
}

#[tokio::test]
async fn watches_end_with_the_watchers_instance() {
    let t = TestSystem::new();
    let seen = Seen::default();
    let counter = t.system().spawn(Counter::default);
    let monitor = t.system().spawn(monitor(&seen));
    monitor.watch(counter.clone()).await.unwrap();
    t.crash(&monitor, "watcher crash");
    t.advance(SECOND).await;
    assert_eq!(seen.starts(), 2);
    Handle::stop(&counter).await;
    t.settle().await;
    assert!(
        seen.downs().is_empty(),
        "the new instance never watched: {:?}",
        seen.downs()
    );
}

/// A counter and a monitor of it whose one-message mailbox, under
/// `overflow`, is held by a handler blocked at the returned gate.
async fn busy_watcher(t: &TestSystem, seen: &Seen, overflow: Overflow) -> (CounterRef, MonitorRef, Gate) {
    let counter = t.system().spawn(Counter::default);
    let options = SpawnOptions::new().mailbox(1).overflow(overflow);
    let monitor = t.system().spawn_with(monitor(seen), options);
    monitor.watch(counter.clone()).await.unwrap();
    let gate = Gate::new();
    monitor.wait(gate.clone()).send().unwrap();
    gate.entered().await;
    (counter, monitor, gate)
}

#[tokio::test]
async fn a_full_mailbox_still_takes_the_down() {
    let t = TestSystem::new();
    let seen = Seen::default();
    let (counter, monitor, gate) = busy_watcher(&t, &seen, Overflow::Reject).await;
    monitor.ping().send().unwrap();
    assert!(
        matches!(monitor.ping().send(), Err(phyx::SendError::MailboxFull { .. })),
        "the mailbox is full"
    );
    Handle::stop(&counter).await;
    gate.open();
    t.settle().await;
    assert_eq!(seen.downs().len(), 1, "Down goes past the capacity");
}

#[tokio::test]
async fn a_down_while_the_watcher_is_mid_handler_runs_after_that_handler() {
    let t = TestSystem::new();
    let seen = Seen::default();
    let counter = t.system().spawn(Counter::default);
    let monitor = t.system().spawn(monitor(&seen));
    monitor.watch(counter.clone()).await.unwrap();
    let gate = Gate::new();
    monitor.wait(gate.clone()).send().unwrap();
    gate.entered().await;
    Handle::stop(&counter).await;
    t.settle().await;
    assert!(seen.downs().is_empty(), "not while the handler runs");
    gate.open();
    t.settle().await;
    assert_eq!(seen.log(), ["handler done", "down Counter"]);
}

#[tokio::test]
async fn no_on_down_runs_during_a_system_shutdown() {
    let t = TestSystem::new();
    let seen = Seen::default();
    // Started first, so stopped last: it is still running when the
    // counter stops.
    let monitor = t.system().spawn(monitor(&seen));
    let counter = t.system().spawn(Counter::default);
    monitor.watch(counter.clone()).await.unwrap();
    let stopped = tokio::spawn(counter.stopped());
    t.shutdown().await;
    assert_eq!(monitor.status(), Status::Stopped);
    assert!(seen.downs().is_empty(), "{:?}", seen.downs());
    assert_eq!(stopped.await.unwrap(), StopReason::Shutdown);
}

/// Two processes that watch each other.
struct Peer {
    peer: Option<PeerRef>,
}

#[process]
impl Peer {
    #[public]
    fn pair(&mut self, ctx: &mut Ctx<Self>, peer: PeerRef) {
        ctx.watch(&peer);
        self.peer = Some(peer);
    }

    #[public]
    async fn hold(&self, gate: Gate) {
        gate.pass().await;
    }

    #[on_down]
    async fn peer_down(&mut self, ctx: &mut Ctx<Self>, _down: Down) {
        ctx.stop();
    }
}

#[tokio::test]
async fn watchers_watching_each_other_mid_handler_still_shut_down() {
    let t = TestSystem::new();
    let a = t.system().spawn(|| Peer { peer: None });
    let b = t.system().spawn(|| Peer { peer: None });
    a.pair(b.clone()).await.unwrap();
    b.pair(a.clone()).await.unwrap();
    let gate = Gate::new();
    a.hold(gate.clone()).send().unwrap();
    b.hold(gate.clone()).send().unwrap();
    t.shutdown().await;
    assert_eq!((a.status(), b.status()), (Status::Stopped, Status::Stopped));
    assert!(t.system().is_shut_down());
}

#[tokio::test]
async fn a_peer_that_stops_takes_its_watcher_down_through_on_down() {
    let t = TestSystem::new();
    let a = t.system().spawn(|| Peer { peer: None });
    let b = t.system().spawn(|| Peer { peer: None });
    a.pair(b.clone()).await.unwrap();
    b.pair(a.clone()).await.unwrap();
    Handle::stop(&b).await;
    // Bounded on virtual time, so that a lost Down fails instead of hanging.
    let stopped = tokio::time::timeout(Duration::from_secs(60), a.stopped()).await;
    assert_eq!(stopped, Ok(StopReason::Normal));
}

#[tokio::test]
async fn stopped_resolves_when_the_process_stops() {
    let t = TestSystem::new();
    let counter = t.system().spawn(Counter::default);
    let stopped = tokio::spawn(counter.stopped());
    t.settle().await;
    assert!(!stopped.is_finished());
    counter.quit().send().unwrap();
    assert_eq!(stopped.await.unwrap(), StopReason::Normal);
}

#[tokio::test]
async fn stopped_resolves_at_once_for_a_process_already_gone() {
    let t = TestSystem::new();
    let counter = t.system().spawn(Counter::default);
    Handle::stop(&counter).await;
    let stopped = counter.stopped();
    t.settle().await;
    assert_eq!(stopped.await, StopReason::Shutdown);
}

#[tokio::test]
async fn stopped_waits_through_restarts_for_the_stop_for_good() {
    let t = TestSystem::new();
    let counter = t.system().spawn_with(Counter::default, fragile());
    let stopped = tokio::spawn(counter.stopped());
    assert!(counter.fail("first".into()).await.is_err());
    t.settle().await;
    assert_eq!(counter.increment(1).await, Ok(1), "restarted");
    assert!(!stopped.is_finished(), "a restart is not a stop");
    assert!(counter.fail("second".into()).await.is_err());
    assert_eq!(
        stopped.await.unwrap(),
        StopReason::Panicked {
            message: "second".into()
        }
    );
    let restarts = t
        .events()
        .of("Counter")
        .count(|kind| matches!(kind, EventKind::Restarting { .. }));
    assert_eq!(restarts, 1);
}

#[tokio::test]
async fn a_watcher_that_stops_for_good_leaves_no_watch_behind() {
    let t = TestSystem::new();
    let seen = Seen::default();
    let counter = t.system().spawn(Counter::default);
    let monitor = t.system().spawn(monitor(&seen));
    monitor.watch_twice(counter.clone()).await.unwrap();
    assert_eq!(phyx::testing::watchers(&counter), 1);
    Handle::stop(&monitor).await;
    assert_eq!(phyx::testing::watchers(&counter), 0);
}

#[tokio::test]
async fn a_watcher_that_crashes_leaves_no_watch_behind() {
    let t = TestSystem::new();
    let seen = Seen::default();
    let counter = t.system().spawn(Counter::default);
    let monitor = t.system().spawn(monitor(&seen));
    monitor.watch(counter.clone()).await.unwrap();
    t.crash(&monitor, "watcher crash");
    t.settle().await;
    assert_eq!(phyx::testing::watchers(&counter), 0);
    monitor.watch(counter.clone()).await.unwrap();
    assert_eq!(phyx::testing::watchers(&counter), 1, "the new instance watches again");
}

#[tokio::test]
async fn a_down_into_a_full_drop_oldest_mailbox_drops_nothing() {
    let t = TestSystem::new();
    let seen = Seen::default();
    let (counter, monitor, gate) = busy_watcher(&t, &seen, Overflow::DropOldest).await;
    let queued = tokio::spawn(monitor.ping().into_future());
    t.settle().await;
    assert_eq!(monitor.queued(), 1, "the mailbox is full");
    Handle::stop(&counter).await;
    gate.open();
    t.settle().await;
    assert_eq!(
        queued.await.unwrap(),
        Ok(()),
        "the queued ask was not dropped for the Down"
    );
    assert_eq!(seen.downs().len(), 1);
    assert_eq!(
        t.events()
            .count(|kind| matches!(kind, EventKind::MessageDropped { .. })),
        0
    );
}
