//! A panic crashes only its process; the supervisor restarts it with fresh
//! state, under a restart limit. Time is tokio's paused clock, so backoff
//! costs no real time.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use phyx::prelude::*;
use phyx::{Backoff, CallError, Restart, SpawnOptions, Status, StopReason, event::EventKind};
use phyx_tests::{Counter, EventLog, Gate};

#[tokio::test(start_paused = true)]
async fn a_panic_reaches_the_caller_and_the_process_restarts_fresh() {
    let (system, log) = EventLog::system();
    let counter = system.spawn(Counter::default);
    let bystander = system.spawn_with(Counter::default, SpawnOptions::new().name("bystander"));
    counter.increment(5).await.unwrap();
    bystander.increment(7).await.unwrap();

    let error = counter.fail("boom".into()).await.unwrap_err();
    let CallError::Panicked { method, message, .. } = &error else {
        panic!("expected a panic, got {error:?}");
    };
    assert_eq!((*method, &**message), ("fail", "boom"));

    assert_eq!(counter.get().await, Ok(0), "the new instance starts from the factory");
    assert_eq!(bystander.get().await, Ok(7), "other processes are untouched");
    assert_eq!(log.restarts_of("Counter"), [(1, Duration::from_millis(100))]);
    assert!(
        log.kinds_of("bystander")
            .iter()
            .all(|kind| !matches!(kind, EventKind::Panicked { .. }))
    );
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_panic_in_an_async_handler_crashes_the_same_way() {
    let system = System::new();
    let counter = system.spawn(Counter::default);
    counter.increment(1).await.unwrap();
    let error = counter
        .fail_after(Duration::from_secs(1), "late".into())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, CallError::Panicked { message, .. } if &**message == "late"),
        "{error:?}"
    );
    assert_eq!(counter.get().await, Ok(0));
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn messages_queued_behind_a_crash_are_handled_by_the_new_instance() {
    let system = System::new();
    let counter = system.spawn(Counter::default);
    let gate = Gate::new();
    counter.wait(gate.clone()).send().unwrap();
    gate.entered().await;

    counter.fail("boom".into()).send().unwrap();
    counter.increment(1).send().unwrap();
    counter.increment(2).send().unwrap();
    assert_eq!(counter.queued(), 3);
    gate.open();

    assert_eq!(counter.history().await.unwrap(), [1, 2]);
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn restarts_back_off_exponentially() {
    let (system, log) = EventLog::system();
    let options = SpawnOptions::new()
        .backoff(Backoff::exponential(Duration::from_secs(1), Duration::from_secs(3)))
        .max_restarts(10, Duration::from_secs(60));
    let counter = system.spawn_with(Counter::default, options);
    for _ in 0..4 {
        counter.fail("again".into()).await.unwrap_err();
    }
    let delays: Vec<_> = log.restarts_of("Counter").into_iter().map(|(_, delay)| delay).collect();
    let secs = Duration::from_secs;
    assert_eq!(delays, [secs(1), secs(2), secs(3), secs(3)]);
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_process_in_backoff_still_queues_messages() {
    let system = System::new();
    let options = SpawnOptions::new().backoff(Backoff::exponential(Duration::from_secs(10), Duration::from_secs(10)));
    let counter = system.spawn_with(Counter::default, options);
    counter.fail("boom".into()).await.unwrap_err();
    assert_eq!(counter.status(), Status::Restarting);
    counter.increment(4).send().unwrap();
    let started = tokio::time::Instant::now();
    assert_eq!(counter.get().await, Ok(4));
    assert_eq!(
        started.elapsed(),
        Duration::from_secs(10),
        "handled once the backoff is over"
    );
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn past_the_restart_limit_the_process_stops_and_callers_are_told() {
    let (system, log) = EventLog::system();
    let options = SpawnOptions::new().max_restarts(2, Duration::from_secs(60));
    let counter = system.spawn_with(Counter::default, options);
    for _ in 0..3 {
        counter.fail("boom".into()).await.unwrap_err();
    }
    Handle::stop(&counter).await; // waits until stopped; already stopping
    assert_eq!(counter.status(), Status::Stopped);
    assert!(matches!(counter.get().await, Err(CallError::Stopped { .. })));
    let kinds = log.kinds_of("Counter");
    assert!(
        kinds.iter().any(|kind| matches!(
            kind,
            EventKind::RestartLimitReached { max_restarts: 2, within } if *within == Duration::from_secs(60)
        )),
        "{kinds:?}"
    );
    assert_eq!(log.restarts_of("Counter").len(), 2);
    assert_eq!(
        log.stop_reasons_of("Counter"),
        [StopReason::Panicked { message: "boom".into() }]
    );
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn the_default_restart_limit_stops_a_process_that_crashes_at_every_start() {
    struct Doomed;
    #[process]
    impl Doomed {
        #[on_start]
        fn start(&mut self) -> Result<(), String> {
            Err("cannot start".into())
        }
        #[public]
        fn ping(&self) {}
    }

    let (system, log) = EventLog::system();
    let doomed = system.spawn(|| Doomed);
    let started = tokio::time::Instant::now();
    assert!(matches!(doomed.ping().await, Err(CallError::Stopped { .. })));
    let max_restarts = phyx::SpawnOptions::DEFAULT_MAX_RESTARTS.max_restarts;
    assert_eq!(log.restarts_of("Doomed").len(), max_restarts as usize);
    // 100 + 200 + 400 + 800 + 1600 ms of backoff, then the limit.
    assert_eq!(started.elapsed(), Duration::from_millis(3100));
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_failed_start_is_a_crash_and_queued_messages_wait_for_a_good_start() {
    struct Flaky {
        attempts: Arc<AtomicU32>,
    }
    #[process]
    impl Flaky {
        #[on_start]
        async fn connect(&mut self, ctx: &mut Ctx<Self>) -> Result<(), String> {
            ctx.sleep(Duration::from_millis(10)).await;
            match self.attempts.fetch_add(1, Ordering::SeqCst) {
                0 => Err("connection refused".into()),
                1 => panic!("driver crashed"),
                _ => Ok(()),
            }
        }
        #[public]
        fn attempts(&self) -> u32 {
            self.attempts.load(Ordering::SeqCst)
        }
    }

    let (system, log) = EventLog::system();
    let attempts = Arc::new(AtomicU32::new(0));
    let flaky = system.spawn(move || Flaky {
        attempts: attempts.clone(),
    });
    assert_eq!(flaky.attempts().await, Ok(3));
    let kinds = log.kinds_of("Flaky");
    assert!(
        matches!(&kinds[1], EventKind::StartFailed { error } if &**error == "connection refused"),
        "{kinds:?}"
    );
    assert!(
        matches!(&kinds[3], EventKind::Panicked { method: None, message } if &**message == "driver crashed"),
        "{kinds:?}"
    );
    assert_eq!(log.restarts_of("Flaky").len(), 2);
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_panicking_factory_is_a_crash() {
    let system = System::new();
    let builds = Arc::new(AtomicU32::new(0));
    let counter = system.spawn({
        let builds = builds.clone();
        move || {
            assert!(builds.fetch_add(1, Ordering::SeqCst) > 0, "first build fails");
            Counter::default()
        }
    });
    assert_eq!(counter.increment(1).await, Ok(1));
    assert_eq!(builds.load(Ordering::SeqCst), 2);
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn restart_types_decide_what_is_restarted() {
    let (system, log) = EventLog::system();
    let spawn =
        |name: &str, restart| system.spawn_with(Counter::default, SpawnOptions::new().name(name).restart(restart));

    let transient = spawn("transient", Restart::Transient);
    transient.quit().await.unwrap();
    let permanent = spawn("permanent", Restart::Permanent);
    permanent.quit().await.unwrap();
    let temporary = spawn("temporary", Restart::Temporary);
    temporary.fail("boom".into()).await.unwrap_err();

    assert_eq!(
        permanent.increment(1).await,
        Ok(1),
        "permanent restarts even after a normal stop"
    );
    assert!(
        matches!(transient.get().await, Err(CallError::Stopped { .. })),
        "transient stays stopped"
    );
    assert!(
        matches!(temporary.get().await, Err(CallError::Stopped { .. })),
        "temporary is never restarted"
    );
    assert_eq!(log.stop_reasons_of("transient"), [StopReason::Normal]);
    assert!(log.restarts_of("temporary").is_empty());
    system.shutdown().await;
}
