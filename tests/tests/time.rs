//! Timeouts, scheduled messages and sleeps, on the test kit's virtual
//! clock; and proof that every timer goes through the system's clock.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use phyx::prelude::*;
use phyx::{CallError, Clock, Sleep, TokioClock};
use phyx_testkit::TestSystem;
use phyx_tests::{Counter, Gate};

#[tokio::test]
async fn a_timed_out_ask_fails_at_its_deadline_and_the_process_recovers() {
    let t = TestSystem::new();
    let counter = t.system().spawn(Counter::default);
    let gate = Gate::new();
    let error = counter
        .wait(gate.clone())
        .timeout(Duration::from_millis(100))
        .await
        .unwrap_err();
    assert_eq!(t.elapsed(), Duration::from_millis(100));
    let CallError::Timeout { method, after, .. } = &error else {
        panic!("expected a timeout, got {error:?}");
    };
    assert_eq!((*method, *after), ("wait", Duration::from_millis(100)));
    assert_eq!(
        error.to_string(),
        "call to `wait` on process `Counter` timed out after 100ms"
    );

    gate.open();
    assert_eq!(counter.increment(1).timeout(Duration::from_millis(100)).await, Ok(1));
}

#[tokio::test]
async fn send_after_delivers_at_the_exact_virtual_instant() {
    let t = TestSystem::new();
    let counter = t.system().spawn(Counter::default);
    counter.increment(1).send_after(Duration::from_secs(10)).unwrap();
    t.advance(Duration::from_millis(9_999)).await;
    assert_eq!(counter.queued(), 0, "not before its time");
    assert_eq!(counter.get().await, Ok(0));
    t.advance(Duration::from_millis(1)).await;
    assert_eq!(counter.get().await, Ok(1));
}

#[tokio::test]
async fn a_process_schedules_messages_to_itself() {
    #[derive(Default)]
    struct Heartbeat {
        beats: u32,
    }
    #[process]
    impl Heartbeat {
        #[public]
        fn beat(&mut self, ctx: &mut Ctx<Self>) {
            self.beats += 1;
            ctx.myself().beat().send_after(Duration::from_secs(1)).unwrap();
        }
        #[public]
        fn beats(&self) -> u32 {
            self.beats
        }
    }

    let t = TestSystem::new();
    let heartbeat = t.system().spawn(Heartbeat::default);
    heartbeat.beat().send().unwrap();
    t.advance(Duration::from_millis(4_999)).await;
    assert_eq!(heartbeat.beats().await, Ok(5));
    t.advance(Duration::from_millis(1)).await;
    assert_eq!(heartbeat.beats().await, Ok(6));
}

#[tokio::test]
async fn ctx_reads_the_system_clock() {
    struct Timer;
    #[process]
    impl Timer {
        #[public]
        async fn measure(&self, ctx: &mut Ctx<Self>, nap: Duration) -> (Instant, Instant) {
            let before = ctx.now();
            ctx.sleep(nap).await;
            (before, ctx.now())
        }
    }

    let t = TestSystem::new();
    let timer = t.system().spawn(|| Timer);
    let (before, after) = timer.measure(Duration::from_secs(3)).await.unwrap();
    assert_eq!(after - before, Duration::from_secs(3));
    assert_eq!(t.system().now(), after);
    assert_eq!(t.elapsed(), Duration::from_secs(3));
}

/// Delegates to tokio's clock, recording every timer asked of it.
#[derive(Debug, Clone, Default)]
struct RecordingClock {
    timers: Arc<Mutex<Vec<Duration>>>,
}

impl Clock for RecordingClock {
    fn now(&self) -> Instant {
        TokioClock.now()
    }

    fn sleep_until(&self, deadline: Instant) -> Sleep {
        self.timers.lock().unwrap().push(deadline - self.now());
        TokioClock.sleep_until(deadline)
    }
}

#[tokio::test(start_paused = true)]
async fn every_timer_goes_through_the_system_clock() {
    let clock = RecordingClock::default();
    let system = System::builder().clock(clock.clone()).build();
    let counter = system.spawn(Counter::default);
    let ms = Duration::from_millis;

    counter.get().timeout(ms(250)).await.unwrap();
    counter.increment(1).send_after(ms(500)).unwrap();
    counter.fail_after(ms(750), "boom".into()).await.unwrap_err(); // ctx.sleep, then backoff
    counter.get().await.unwrap();

    let timers = clock.timers.lock().unwrap().clone();
    for expected in [ms(250), ms(500), ms(750), ms(100)] {
        assert!(timers.contains(&expected), "no {expected:?} timer in {timers:?}");
    }
    system.shutdown().await;
}
