//! The test kit: virtual time that is exact, runs that repeat, faults on
//! demand.

use std::time::Duration;

use phyx::prelude::*;
use phyx::{CallError, EventKind, SpawnOptions, Status, StopReason};
use phyx_testkit::{Isolated, TestSystem};
use phyx_tests::{Counter, Gate};

const MS: Duration = Duration::from_millis(1);
const SECOND: Duration = Duration::from_secs(1);
const HOUR: Duration = Duration::from_secs(3600);

#[derive(Default)]
struct Hourly {
    fired: u32,
}

#[process]
impl Hourly {
    #[public]
    fn start(&mut self, ctx: &mut Ctx<Self>) {
        ctx.myself().fire().send_after(HOUR).unwrap();
    }

    #[public]
    fn fire(&mut self, ctx: &mut Ctx<Self>) {
        self.fired += 1;
        ctx.emit(self.fired);
        ctx.myself().fire().send_after(HOUR).unwrap();
    }

    #[public]
    fn fired(&self) -> u32 {
        self.fired
    }
}

#[tokio::test]
async fn an_hourly_timer_advanced_five_hours_fires_five_times_on_the_hour() {
    let t = TestSystem::new();
    let hourly = t.system().spawn(Hourly::default);
    hourly.start().send().unwrap();
    t.advance(5 * HOUR).await;
    assert_eq!(hourly.fired().await, Ok(5));
    assert_eq!(t.elapsed(), 5 * HOUR);
    let fired_at: Vec<Duration> = t
        .events()
        .of("Hourly")
        .all()
        .iter()
        .filter(|recorded| matches!(recorded.event.kind, EventKind::Custom(_)))
        .map(|recorded| recorded.at)
        .collect();
    assert_eq!(fired_at, [HOUR, 2 * HOUR, 3 * HOUR, 4 * HOUR, 5 * HOUR]);
}

#[tokio::test]
async fn an_ask_times_out_at_its_deadline_and_not_before() {
    let t = TestSystem::new();
    let counter = t.system().spawn(Counter::default);
    let gate = Gate::new();
    let ask = tokio::spawn(counter.wait(gate.clone()).timeout(100 * MS).into_future());
    t.advance(99 * MS).await;
    assert!(!ask.is_finished(), "not before its deadline");
    t.advance(MS).await;
    assert!(ask.is_finished(), "at its deadline");
    assert!(matches!(ask.await.unwrap(), Err(CallError::Timeout { .. })));
    gate.open();
}

#[tokio::test]
async fn an_awaited_timeout_ends_at_the_exact_virtual_instant() {
    let t = TestSystem::new();
    let counter = t.system().spawn(Counter::default);
    let gate = Gate::new();
    let result = counter.wait(gate.clone()).timeout(250 * MS).await;
    assert!(matches!(result, Err(CallError::Timeout { .. })));
    assert_eq!(t.elapsed(), 250 * MS);
    gate.open();
}

#[tokio::test]
async fn a_60s_backoff_is_neither_early_nor_late_by_a_millisecond() {
    let t = TestSystem::new();
    let options = SpawnOptions::new().backoff(phyx::Backoff::exponential(60 * SECOND, 60 * SECOND));
    let counter = t.system().spawn_with(Counter::default, options);
    counter.fail("boom".into()).await.unwrap_err();
    let crashed_at = t.elapsed();

    t.advance(60 * SECOND - MS).await;
    assert_eq!(counter.status(), Status::Restarting, "a millisecond early");
    t.advance(MS).await;
    assert_eq!(counter.status(), Status::Running, "on time");

    let events = t.events().of("Counter");
    let restarted_at = events
        .all()
        .iter()
        .filter(|recorded| matches!(recorded.event.kind, EventKind::Started))
        .map(|recorded| recorded.at)
        .next_back();
    assert_eq!(restarted_at, Some(crashed_at + 60 * SECOND));
    events.assert_panicked("Counter", "boom", crashed_at);
}

#[tokio::test]
async fn settle_runs_everything_due_without_moving_time() {
    let t = TestSystem::new();
    let counter = t.system().spawn(Counter::default);
    for n in 1..=3 {
        counter.increment(n).send().unwrap();
    }
    counter.increment(10).send_after(SECOND).unwrap();
    t.settle().await;
    assert_eq!(counter.queued(), 0);
    assert_eq!(counter.history().await, Ok(vec![1, 2, 3]));
    assert_eq!(t.elapsed(), Duration::ZERO);
}

/// Crashes a worker now and then, by seed, and restarts it with jitter.
async fn seeded_scenario(seed: u64) -> Vec<String> {
    let t = TestSystem::with_seed(seed);
    let options = SpawnOptions::new()
        .name("worker")
        .backoff(phyx::Backoff::exponential(SECOND, 10 * SECOND).jitter(0.5))
        .max_restarts(1000, HOUR);
    let worker = t.system().spawn_with(Counter::default, options);
    t.inject(&worker, "increment").fraction(0.3).panic("flaky");
    t.inject(&worker, "increment").every().delay(10 * MS);
    for n in 0..20 {
        let _ = worker.increment(n).await;
    }
    t.advance(HOUR).await;
    t.events().trace()
}

#[tokio::test]
async fn a_scenario_run_twice_gives_identical_traces() {
    let first = seeded_scenario(7).await;
    let second = seeded_scenario(7).await;
    assert!(
        first.iter().any(|line| line.contains("panicked")),
        "the scenario has crashes"
    );
    assert_eq!(first, second);
}

#[tokio::test]
async fn a_hundred_runs_of_a_seeded_fault_scenario_agree() {
    let reference = seeded_scenario(42).await;
    for _ in 0..100 {
        assert_eq!(seeded_scenario(42).await, reference);
    }
    assert_ne!(seeded_scenario(43).await, reference, "another seed, another run");
}

#[tokio::test]
async fn faults_hit_the_nth_call_of_a_method() {
    let t = TestSystem::new();
    let counter = t.system().spawn(Counter::default);
    t.inject(&counter, "increment").nth(3).panic("third time");
    assert_eq!(counter.increment(1).await, Ok(1));
    assert_eq!(counter.get().await, Ok(1), "other methods are untouched");
    assert_eq!(counter.increment(1).await, Ok(2));
    let error = counter.increment(1).await.unwrap_err();
    assert!(matches!(&error, CallError::Panicked { message, .. } if &**message == "third time"));
    t.advance(SECOND).await;
    assert_eq!(counter.increment(1).await, Ok(1), "fresh state, and the fault is spent");
    assert_eq!(t.events().panics_of("Counter").len(), 1);
}

#[tokio::test]
async fn a_delay_fault_holds_a_call_on_virtual_time() {
    let t = TestSystem::new();
    let counter = t.system().spawn(Counter::default);
    t.inject(&counter, "get").delay(5 * SECOND);
    assert_eq!(counter.get().await, Ok(0));
    assert_eq!(t.elapsed(), 5 * SECOND);
    assert_eq!(counter.get().await, Ok(0));
    assert_eq!(t.elapsed(), 5 * SECOND, "only the next call was delayed");
}

#[tokio::test]
async fn crash_from_outside_restarts_the_process() {
    let t = TestSystem::new();
    let counter = t.system().spawn(Counter::default);
    counter.increment(5).await.unwrap();
    t.crash(&counter, "pulled the plug");
    t.settle().await;
    assert_eq!(counter.status(), Status::Restarting);
    assert_eq!(counter.get().await, Ok(0));
    let panics = t.events().panics_of("Counter");
    assert_eq!(panics.len(), 1);
    assert_eq!(
        (panics[0].method, panics[0].message.as_str()),
        (None, "pulled the plug")
    );
    assert_eq!(t.events().stops_of("Counter"), []);
}

#[tokio::test]
async fn a_stalled_process_fills_its_mailbox_until_released() {
    let t = TestSystem::new();
    let counter = t.system().spawn_with(Counter::default, SpawnOptions::new().mailbox(4));
    let stall = t.stall(&counter);
    counter.increment(1).send().unwrap();
    t.settle().await;
    assert_eq!(t.fill(&counter, |counter| counter.increment(1)), 4);
    assert!(counter.increment(1).send().is_err());
    stall.release();
    assert_eq!(counter.get().await, Ok(5));
}

#[tokio::test]
async fn unknown_methods_are_named_in_the_panic() {
    let t = TestSystem::new();
    let counter = t.system().spawn(Counter::default);
    let error = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        t.inject(&counter, "incremnet").panic("never");
    }))
    .unwrap_err();
    let message = error.downcast_ref::<String>().unwrap();
    assert!(message.contains("has no `#[public]` method `incremnet`"), "{message}");
    assert!(message.contains("increment, get, history"), "{message}");
}

#[tokio::test]
async fn event_assertions_report_what_was_recorded() {
    let t = TestSystem::new();
    let counter = t.system().spawn(Counter::default);
    counter.fail("boom".into()).await.unwrap_err();
    let events = t.events();
    events.assert_none("restart limit", |kind| {
        matches!(kind, EventKind::RestartLimitReached { .. })
    });
    let failure = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        events.assert_none("panic", |kind| matches!(kind, EventKind::Panicked { .. }));
    }))
    .unwrap_err();
    let message = failure.downcast_ref::<String>().unwrap();
    assert!(message.contains("expected no panic"), "{message}");
    assert!(message.contains("Counter#1: panicked in `fail`: boom"), "{message}");
    assert_eq!(events.restarts_of("Counter")[0].delay, 100 * MS);
}

#[tokio::test]
async fn shutdown_waits_out_stuck_handlers_on_virtual_time() {
    let t = TestSystem::new();
    let counter = t.system().spawn(Counter::default);
    let gate = Gate::new();
    counter.wait(gate.clone()).send().unwrap();
    t.settle().await;
    t.shutdown().await;
    assert_eq!(t.elapsed(), phyx::DEFAULT_SHUTDOWN_TIMEOUT);
    assert_eq!(t.events().stops_of("Counter"), [(t.elapsed(), StopReason::Shutdown)]);
}

#[tokio::test]
async fn isolated_handlers_run_without_a_system() {
    let mut counter = Isolated::new(Counter::default());
    assert_eq!(counter.state_mut().increment(2), 2);
    let handle = counter.handle();
    handle.increment(3).send().unwrap();
    let reply = tokio::spawn(handle.get().into_future());
    assert_eq!(counter.run_queued().await, 2);
    assert_eq!(reply.await.unwrap(), Ok(5));
    let (state, ctx) = counter.parts();
    state.quit(ctx);
    assert_eq!(counter.state().get(), 5);
}

#[tokio::test]
async fn readme_testing_example() {
    #[derive(Default)]
    struct Worker {
        done: u32,
    }

    #[process(backoff(initial = "60s"))]
    impl Worker {
        #[public]
        fn work(&mut self) -> u32 {
            self.done += 1;
            self.done
        }
    }

    let t = TestSystem::new();
    let worker = t.system().spawn(Worker::default);
    t.inject(&worker, "work").panic("disk full");
    assert!(worker.work().await.is_err());

    t.advance(Duration::from_secs(59)).await;
    assert_eq!(worker.status(), Status::Restarting);
    t.advance(Duration::from_secs(1)).await;
    assert_eq!(worker.work().await.unwrap(), 1);

    t.events().assert_panicked("Worker", "disk full", Duration::ZERO);
    assert_eq!(t.events().restarts_of("Worker")[0].delay, Duration::from_secs(60));
}
