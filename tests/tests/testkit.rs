//! The test kit: virtual time that is exact, runs that repeat, faults on
//! demand.

use std::time::Duration;

use phyx::prelude::*;
use phyx::{CallError, SpawnOptions, Status, StopReason, event::EventKind};
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
async fn a_failed_panic_assertion_names_the_panics_recorded() {
    let t = TestSystem::new();
    let counter = t.system().spawn(Counter::default);
    counter.fail("boom".into()).await.unwrap_err();
    let events = t.events();
    let failure = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        events.assert_panicked("Counter", "boom", SECOND);
    }))
    .unwrap_err();
    assert_eq!(
        failure.downcast_ref::<String>().unwrap(),
        "expected `Counter` to panic with \"boom\" at 1s; its panics:\n       0.000s in `fail`: boom"
    );
}

#[tokio::test]
async fn shutdown_waits_out_stuck_handlers_on_virtual_time() {
    let t = TestSystem::new();
    let counter = t.system().spawn(Counter::default);
    let gate = Gate::new();
    counter.wait(gate.clone()).send().unwrap();
    t.settle().await;
    t.shutdown().await;
    assert_eq!(t.elapsed(), phyx::SpawnOptions::DEFAULT_SHUTDOWN_TIMEOUT);
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

// tokio's own timers (`sleep`, `interval`, `timeout`) inside handlers run on
// the same virtual time as phyx's: one clock, not two.

/// When a handler woke, by phyx's clock and by tokio's.
#[derive(Debug, Clone, Copy)]
struct Woke {
    phyx: std::time::Instant,
    tokio: tokio::time::Instant,
}

impl Woke {
    fn now(phyx: std::time::Instant) -> Self {
        Self {
            phyx,
            tokio: tokio::time::Instant::now(),
        }
    }

    /// How long after `start` it woke, by phyx's clock and by tokio's.
    fn since(self, start: Self) -> (Duration, Duration) {
        (self.phyx - start.phyx, self.tokio - start.tokio)
    }
}

/// Waits on tokio's timers, as handlers do.
struct Sleeper;

#[process]
impl Sleeper {
    /// `tokio::time::sleep(nap)`.
    #[public]
    async fn nap(&self, ctx: &mut Ctx<Self>, nap: Duration) -> Woke {
        tokio::time::sleep(nap).await;
        ctx.emit(format!("woke from a {nap:?} nap"));
        Woke::now(ctx.now())
    }

    /// The first `ticks` ticks of `tokio::time::interval(period)`.
    #[public]
    async fn ticks(&self, ctx: &mut Ctx<Self>, period: Duration, ticks: usize) -> Vec<Woke> {
        let mut interval = tokio::time::interval(period);
        let mut woke = Vec::new();
        for _ in 0..ticks {
            interval.tick().await;
            woke.push(Woke::now(ctx.now()));
        }
        woke
    }

    /// `tokio::time::timeout(after, ...)` around a wait that never ends.
    #[public]
    async fn give_up(&self, ctx: &mut Ctx<Self>, after: Duration) -> Woke {
        let timed_out = tokio::time::timeout(after, std::future::pending::<()>()).await.is_err();
        assert!(timed_out, "a pending future cannot finish");
        Woke::now(ctx.now())
    }
}

/// Notes what happened when, by the system clock.
#[derive(Default)]
struct Log {
    lines: Vec<(&'static str, std::time::Instant)>,
}

#[process]
impl Log {
    #[public]
    fn note(&mut self, ctx: &mut Ctx<Self>, what: &'static str) {
        self.lines.push((what, ctx.now()));
    }

    #[public]
    fn lines(&self) -> Vec<(&'static str, std::time::Instant)> {
        self.lines.clone()
    }
}

#[tokio::test]
async fn a_tokio_sleep_in_a_handler_wakes_when_advance_reaches_it() {
    let t = TestSystem::new();
    let start = Woke::now(t.system().now());
    let sleeper = t.system().spawn(|| Sleeper);
    let nap = tokio::spawn(sleeper.nap(HOUR).into_future());
    t.advance(HOUR - MS).await;
    assert!(!nap.is_finished(), "not before its deadline");
    t.advance(MS).await;
    assert!(nap.is_finished(), "at its deadline");
    let woke = nap.await.unwrap().unwrap();
    assert_eq!(woke.since(start), (HOUR, HOUR), "(phyx, tokio)");
    assert_eq!(t.elapsed(), HOUR);
}

#[tokio::test]
async fn an_awaited_tokio_sleep_moves_virtual_time_to_its_deadline() {
    let t = TestSystem::new();
    let start = Woke::now(t.system().now());
    let sleeper = t.system().spawn(|| Sleeper);
    let woke = sleeper.nap(HOUR).await.unwrap();
    assert_eq!(woke.since(start), (HOUR, HOUR), "(phyx, tokio)");
    assert_eq!(t.elapsed(), HOUR);
    let woke_at = t
        .events()
        .of("Sleeper")
        .filter(|recorded| matches!(recorded.event.kind, EventKind::Custom(_)));
    assert_eq!(woke_at.all()[0].at, HOUR, "the event is stamped when it happened");
}

#[tokio::test]
async fn a_tokio_interval_in_a_handler_ticks_on_virtual_time() {
    let t = TestSystem::new();
    let start = Woke::now(t.system().now());
    let sleeper = t.system().spawn(|| Sleeper);
    let ticks = tokio::spawn(sleeper.ticks(10 * 60 * SECOND, 4).into_future());
    t.advance(30 * 60 * SECOND - MS).await;
    assert!(!ticks.is_finished(), "the fourth tick is due at 30 minutes");
    t.advance(MS).await;
    let ticks: Vec<_> = ticks
        .await
        .unwrap()
        .unwrap()
        .into_iter()
        .map(|woke| woke.since(start))
        .collect();
    let minutes = |n: u32| n * 60 * SECOND;
    assert_eq!(
        ticks,
        [0, 10, 20, 30].map(|n| (minutes(n), minutes(n))),
        "(phyx, tokio) at each tick"
    );
}

#[tokio::test]
async fn a_tokio_timeout_in_a_handler_fires_on_virtual_time() {
    let t = TestSystem::new();
    let start = Woke::now(t.system().now());
    let sleeper = t.system().spawn(|| Sleeper);
    let gave_up = tokio::spawn(sleeper.give_up(30 * SECOND).into_future());
    t.advance(30 * SECOND - MS).await;
    assert!(!gave_up.is_finished(), "not before its deadline");
    t.advance(MS).await;
    assert!(gave_up.is_finished(), "at its deadline");
    assert_eq!(gave_up.await.unwrap().unwrap().since(start), (30 * SECOND, 30 * SECOND));
}

#[tokio::test]
async fn tokio_and_phyx_timers_fire_in_deadline_order() {
    let t = TestSystem::new();
    let start = t.system().now();
    let log = t.system().spawn(Log::default);
    let minutes = |n: u32| n * 60 * SECOND;
    for (what, after) in [("tokio 10m", 10), ("tokio 30m", 30), ("tokio 45m", 45)] {
        let log = log.clone();
        tokio::spawn(async move {
            tokio::time::sleep(minutes(after)).await;
            log.note(what).send().unwrap();
        });
    }
    log.note("phyx 40m").send_after(minutes(40)).unwrap();
    log.note("phyx 20m").send_after(minutes(20)).unwrap();
    t.advance(HOUR).await;
    let lines: Vec<_> = log
        .lines()
        .await
        .unwrap()
        .into_iter()
        .map(|(what, at)| (what, at - start))
        .collect();
    assert_eq!(
        lines,
        [
            ("tokio 10m", minutes(10)),
            ("phyx 20m", minutes(20)),
            ("tokio 30m", minutes(30)),
            ("phyx 40m", minutes(40)),
            ("tokio 45m", minutes(45)),
        ]
    );
}

#[tokio::test]
async fn settle_moves_neither_clock_nor_fires_a_pending_tokio_timer() {
    let t = TestSystem::new();
    let start = Woke::now(t.system().now());
    let sleeper = t.system().spawn(|| Sleeper);
    let nap = tokio::spawn(sleeper.nap(HOUR).into_future());
    for _ in 0..100 {
        t.settle().await;
    }
    assert!(!nap.is_finished(), "an hour has not passed");
    assert_eq!(
        Woke::now(t.system().now()).since(start),
        (Duration::ZERO, Duration::ZERO)
    );
    assert_eq!(t.elapsed(), Duration::ZERO);
}

#[tokio::test]
async fn phyx_and_tokio_read_one_clock() {
    let t = TestSystem::new();
    assert_eq!(t.system().now(), tokio::time::Instant::now().into_std(), "at the start");
    let start = Woke::now(t.system().now());
    t.advance(5 * SECOND).await;
    t.settle().await;
    assert_eq!(Woke::now(t.system().now()).since(start), (5 * SECOND, 5 * SECOND));
    t.advance(Duration::from_nanos(1_500)).await;
    assert_eq!(
        t.system().now(),
        tokio::time::Instant::now().into_std(),
        "between milliseconds"
    );
}

#[tokio::test]
async fn a_tokio_timer_between_milliseconds_fires_on_the_next_one() {
    // tokio's timer wheel counts whole milliseconds and rounds a deadline up
    // to the next one: so does the test kit, never early.
    let t = TestSystem::new();
    let start = Woke::now(t.system().now());
    t.advance(MS / 2).await;
    let sleeper = t.system().spawn(|| Sleeper);
    let nap = tokio::spawn(sleeper.nap(MS).into_future()); // due at 1.5 ms
    t.advance(MS).await;
    assert!(!nap.is_finished(), "not at 1.5 ms, which tokio rounds up");
    t.advance(MS / 2).await;
    assert!(nap.is_finished(), "at 2 ms");
    assert_eq!(nap.await.unwrap().unwrap().since(start), (2 * MS, 2 * MS));
}

/// Naps on tokio's timers between seeded crashes and jittered restarts.
async fn seeded_scenario_on_tokio_timers(seed: u64) -> Vec<String> {
    let t = TestSystem::with_seed(seed);
    let options = SpawnOptions::new()
        .backoff(phyx::Backoff::exponential(SECOND, 10 * SECOND).jitter(0.5))
        .max_restarts(1000, HOUR);
    let sleeper = t.system().spawn_with(|| Sleeper, options);
    t.inject(&sleeper, "nap").fraction(0.3).panic("flaky");
    let naps: Vec<_> = (1..=20)
        .map(|n| tokio::spawn(sleeper.nap(n * 100 * MS).into_future()))
        .collect();
    t.advance(HOUR).await;
    assert!(naps.iter().all(|nap| nap.is_finished()));
    t.events().trace()
}

#[tokio::test]
async fn a_seeded_scenario_on_tokio_timers_replays_exactly() {
    let first = seeded_scenario_on_tokio_timers(7).await;
    assert_eq!(first, seeded_scenario_on_tokio_timers(7).await);
    assert!(
        first.iter().any(|line| line.contains("panicked")),
        "the scenario has crashes"
    );
    // Each nap ends on virtual time: the first, of 100 ms, at 100 ms.
    let first_nap = first.iter().find(|line| line.contains("nap\"")).unwrap();
    assert!(first_nap.trim_start().starts_with("0.100s"), "{first_nap}");
}

#[tokio::test]
async fn two_test_systems_in_one_test_panic_nowhere() {
    let this_thread = std::thread::current().id();
    let panics = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let previous: std::sync::Arc<dyn Fn(&std::panic::PanicHookInfo<'_>) + Send + Sync> = std::panic::take_hook().into();
    std::panic::set_hook({
        let (panics, previous) = (panics.clone(), previous.clone());
        Box::new(move |info| {
            if std::thread::current().id() == this_thread {
                panics.lock().unwrap().push(info.to_string());
            }
            previous(info);
        })
    });
    let first = TestSystem::new();
    let second = TestSystem::new();
    drop((first, second));
    let third = TestSystem::new();
    third.advance(SECOND).await;
    drop(third);
    drop(std::panic::take_hook());
    std::panic::set_hook(Box::new(move |info| previous(info)));
    assert_eq!(*panics.lock().unwrap(), Vec::<String>::new());
}

#[tokio::test]
async fn two_test_systems_alive_at_once_share_one_clock() {
    let first = TestSystem::new();
    let second = TestSystem::new();
    let hourly = first.system().spawn(Hourly::default);
    hourly.start().send().unwrap();
    first.settle().await;
    // Advancing one advances the other: both read tokio's clock, and each
    // fires its own timers on time.
    second.advance(3 * HOUR).await;
    first.settle().await;
    assert_eq!((first.elapsed(), second.elapsed()), (3 * HOUR, 3 * HOUR));
    let fired_at: Vec<Duration> = first
        .events()
        .all()
        .iter()
        .filter(|recorded| matches!(recorded.event.kind, EventKind::Custom(_)))
        .map(|recorded| recorded.at)
        .collect();
    assert_eq!(fired_at, [HOUR, 2 * HOUR, 3 * HOUR]);
}

#[tokio::test]
async fn an_advance_given_up_on_stops_where_it_was() {
    let t = TestSystem::new();
    let counter = t.system().spawn(Counter::default);
    counter.increment(1).send_after(HOUR / 2).unwrap();
    // tokio's timeout fires on the way, at one second: the advance is dropped.
    assert!(tokio::time::timeout(SECOND, t.advance(HOUR)).await.is_err());
    t.settle().await;
    assert_eq!(t.elapsed(), SECOND, "time moves no further");
    assert_eq!(counter.get().await, Ok(0));
}

#[test]
fn a_runtime_without_io_is_told_what_to_enable() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let panic = runtime.block_on(async { std::panic::catch_unwind(|| TestSystem::new()).unwrap_err() });
    let message = panic.downcast_ref::<&str>().unwrap();
    assert!(
        message.contains("I/O driver") && message.contains("enable_all()"),
        "{message}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_test_system_on_a_runtime_started_paused_is_one_clock_too() {
    let t = TestSystem::new();
    let start = Woke::now(t.system().now());
    let sleeper = t.system().spawn(|| Sleeper);
    let nap = tokio::spawn(sleeper.nap(HOUR).into_future());
    t.advance(HOUR).await;
    assert_eq!(nap.await.unwrap().unwrap().since(start), (HOUR, HOUR));
}
