//! Timers of `send_after` and `send_every`, on the test kit's virtual
//! clock: when they fire, cancelling them, and what ends them.

use std::time::Duration;

use phyx::SpawnOptions;
use phyx::event::EventKind;
use phyx::prelude::*;
use phyx_testkit::TestSystem;
use phyx_tests::{Counter, Gate};

const MS: Duration = Duration::from_millis(1);
const SECOND: Duration = Duration::from_secs(1);

#[tokio::test]
async fn send_after_fires_once_at_its_delay_and_then_is_inactive() {
    let t = TestSystem::new();
    let counter = t.system().spawn(Counter::default);
    let timer = counter.increment(1).send_after(10 * SECOND).unwrap();
    t.advance(10 * SECOND - MS).await;
    assert!(timer.is_active());
    assert_eq!(counter.get().await, Ok(0), "not before its time");
    t.advance(MS).await;
    assert_eq!(counter.get().await, Ok(1));
    assert!(!timer.is_active(), "it fired");
    timer.cancel(); // harmless once fired
    t.advance(10 * SECOND).await;
    assert_eq!(counter.get().await, Ok(1), "once only");
}

#[tokio::test]
async fn a_cancelled_send_after_never_delivers() {
    let t = TestSystem::new();
    let counter = t.system().spawn(Counter::default);
    let timer = counter.increment(1).send_after(SECOND).unwrap();
    t.advance(SECOND / 2).await;
    timer.cancel();
    assert!(!timer.is_active());
    t.advance(10 * SECOND).await;
    assert_eq!(counter.get().await, Ok(0));
}

#[tokio::test]
async fn dropping_a_timer_does_not_cancel_it() {
    let t = TestSystem::new();
    let counter = t.system().spawn(Counter::default);
    drop(counter.increment(1).send_after(SECOND).unwrap());
    drop(counter.increment(10).send_every(SECOND).unwrap());
    t.advance(2 * SECOND).await;
    assert_eq!(counter.get().await, Ok(21));
}

#[tokio::test]
async fn send_every_ticks_at_each_period_until_cancelled() {
    let t = TestSystem::new();
    let counter = t.system().spawn(Counter::default);
    let timer = counter.increment(1).send_every(3 * SECOND).unwrap();
    let mut seen = Vec::new();
    for _ in 0..4 {
        t.advance(3 * SECOND - MS).await;
        let before = counter.get().await.unwrap();
        t.advance(MS).await;
        seen.push((before, counter.get().await.unwrap(), t.elapsed()));
    }
    assert_eq!(
        seen,
        [
            (0, 1, 3 * SECOND),
            (1, 2, 6 * SECOND),
            (2, 3, 9 * SECOND),
            (3, 4, 12 * SECOND)
        ],
        "a tick at exactly 3s, 6s, 9s, 12s"
    );
    timer.cancel();
    assert!(!timer.is_active());
    t.advance(30 * SECOND).await;
    assert_eq!(counter.get().await, Ok(4), "no tick after the cancel");
}

#[tokio::test]
async fn send_every_keeps_ticking_across_a_restart() {
    phyx::hide_caught_panics();
    let t = TestSystem::new();
    let counter = t.system().spawn(Counter::default);
    let timer = counter.increment(1).send_every(SECOND).unwrap();
    t.advance(SECOND + SECOND / 2).await;
    assert_eq!(counter.get().await, Ok(1));
    t.crash(&counter, "restart between ticks");
    t.advance(SECOND / 2).await;
    assert_eq!(t.events().restarts_of("Counter").len(), 1, "it restarted");
    t.advance(SECOND).await;
    // Fresh state from the factory, and the 2s and 3s ticks.
    assert_eq!(counter.get().await, Ok(2));
    assert!(timer.is_active());
}

#[tokio::test]
async fn send_every_ends_when_its_process_stops_for_good() {
    let t = TestSystem::new();
    let counter = t.system().spawn(Counter::default);
    let timer = counter.increment(1).send_every(SECOND).unwrap();
    t.advance(SECOND).await;
    counter.quit().await.unwrap();
    t.settle().await;
    assert!(!timer.is_active(), "stopped for good");
    t.advance(5 * SECOND).await;
    assert!(matches!(
        counter.increment(1).send_every(SECOND),
        Err(SendError::Stopped { .. })
    ));
}

#[tokio::test]
async fn timers_end_when_the_system_shuts_down() {
    let t = TestSystem::new();
    let counter = t.system().spawn(Counter::default);
    let every = counter.increment(1).send_every(SECOND).unwrap();
    let after = counter.increment(1).send_after(SECOND).unwrap();
    t.shutdown().await;
    assert!(!every.is_active());
    assert!(!after.is_active());
}

#[tokio::test]
async fn a_full_mailbox_skips_ticks_and_the_timer_goes_on() {
    let t = TestSystem::new();
    let counter = t.system().spawn_with(Counter::default, SpawnOptions::new().mailbox(1));
    let gate = Gate::new();
    let waiting = tokio::spawn(counter.wait(gate.clone()).into_future());
    gate.entered().await;
    let timer = counter.increment(1).send_every(SECOND).unwrap();
    t.advance(3 * SECOND).await;
    // The 1s tick took the one slot; the 2s and 3s ticks found it full.
    let rejected = t
        .events()
        .count(|kind| matches!(kind, EventKind::MessageRejected { method: "increment" }));
    assert_eq!(rejected, 2);
    assert!(timer.is_active(), "skipped ticks do not stop it");
    gate.open();
    waiting.await.unwrap().unwrap();
    assert_eq!(counter.get().await, Ok(1));
    t.advance(SECOND).await;
    assert_eq!(counter.get().await, Ok(2), "the 4s tick");
}

struct Token;

#[derive(Default)]
struct Keeper {
    tokens: usize,
}

#[process]
impl Keeper {
    #[public]
    fn keep(&mut self, _token: Token) {
        self.tokens += 1;
    }
}

#[tokio::test]
async fn send_every_refuses_a_message_it_cannot_copy() {
    let t = TestSystem::new();
    let keeper = t.system().spawn(Keeper::default);
    let panic =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| keeper.keep(Token).send_every(SECOND))).unwrap_err();
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(message.contains("an argument of `keep` is not `Clone`"), "{message}");
}
