//! `#[circuit_breaker]` and `#[rate_limit]`, on virtual time.

use std::time::Duration;

use phyx::prelude::*;
use phyx::{
    CallError, SendError,
    event::{CircuitState, EventKind},
};
use phyx_testkit::TestSystem;

const MS: Duration = Duration::from_millis(1);
const SECOND: Duration = Duration::from_secs(1);

#[derive(Default)]
struct Service {
    handled: u32,
}

#[process]
impl Service {
    #[public]
    #[circuit_breaker(failures = 3, cooldown = "10s", trials = 2)]
    fn call(&mut self, ok: bool) -> Result<u32, String> {
        self.handled += 1;
        if ok { Ok(self.handled) } else { Err("down".into()) }
    }

    #[public]
    #[circuit_breaker(failures = 1, cooldown = "1s")]
    async fn slow(&mut self, ctx: &mut Ctx<Self>, delay: Duration, ok: bool) -> Result<(), String> {
        ctx.sleep(delay).await;
        if ok { Ok(()) } else { Err("slow failure".into()) }
    }

    #[public]
    #[circuit_breaker(failures = 2, cooldown = "5s")]
    fn explode(&mut self) -> u32 {
        panic!("boom")
    }

    #[public]
    fn handled(&self) -> u32 {
        self.handled
    }

    #[public]
    #[rate_limit(per_second = 2)]
    fn limited(&self) -> u32 {
        1
    }

    #[public]
    #[rate_limit(per_second = 1, key = user)]
    fn keyed(&self, user: String) -> String {
        user
    }

    #[public]
    #[rate_limit(per_second = 2, wait)]
    fn patient(&self) -> u32 {
        2
    }

    #[public]
    #[rate_limit(per_minute = 1)]
    #[circuit_breaker(failures = 1, cooldown = "1h")]
    fn both(&self, ok: bool) -> Result<(), String> {
        if ok { Ok(()) } else { Err("no".into()) }
    }
}

fn circuit_states(t: &TestSystem, method: &str) -> Vec<CircuitState> {
    t.events()
        .all()
        .iter()
        .filter_map(|recorded| match &recorded.event.kind {
            EventKind::Circuit { method: m, state } if *m == method => Some(*state),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn consecutive_failures_open_the_breaker_and_calls_then_fail_fast() {
    let t = TestSystem::new();
    let service = t.system().spawn(Service::default);
    assert_eq!(service.call(false).await, Ok(Err("down".into())));
    assert_eq!(service.call(true).await, Ok(Ok(2)), "a success resets the count");
    for _ in 0..3 {
        assert!(matches!(service.call(false).await, Ok(Err(_))));
    }
    let error = service.call(true).await.unwrap_err();
    let CallError::CircuitOpen { retry_after, .. } = error else {
        panic!("expected an open circuit, got {error:?}");
    };
    assert_eq!(retry_after, 10 * SECOND);
    assert!(matches!(service.call(true).send(), Err(SendError::CircuitOpen { .. })));
    assert_eq!(
        service.handled().await,
        Ok(5),
        "the refused calls never reached the handler"
    );
    assert_eq!(
        circuit_states(&t, "call"),
        [CircuitState::Open {
            retry_after: 10 * SECOND
        }]
    );
}

#[tokio::test]
async fn after_the_cooldown_trials_decide_and_a_failed_trial_reopens() {
    let t = TestSystem::new();
    let service = t.system().spawn(Service::default);
    for _ in 0..3 {
        service.call(false).await.unwrap().unwrap_err();
    }
    t.advance(10 * SECOND - MS).await;
    assert!(matches!(service.call(true).await, Err(CallError::CircuitOpen { retry_after, .. }) if retry_after == MS));
    t.advance(MS).await;
    assert_eq!(
        service.call(false).await,
        Ok(Err("down".into())),
        "a trial passes, and fails"
    );
    assert!(
        matches!(service.call(true).await, Err(CallError::CircuitOpen { .. })),
        "reopened"
    );
    assert_eq!(
        circuit_states(&t, "call"),
        [
            CircuitState::Open {
                retry_after: 10 * SECOND
            },
            CircuitState::HalfOpen,
            CircuitState::Open {
                retry_after: 10 * SECOND
            },
        ]
    );
}

#[tokio::test]
async fn half_open_lets_a_limited_number_of_trials_through_and_their_successes_close_it() {
    let t = TestSystem::new();
    let service = t.system().spawn(Service::default);
    for _ in 0..3 {
        service.call(false).await.unwrap().unwrap_err();
    }
    t.advance(10 * SECOND).await;
    // Three asks at once: two trial slots, the third fails fast.
    let first = service.call(true).into_future();
    let second = service.call(true).into_future();
    let third = service.call(true).into_future();
    let (first, second, third) = tokio::join!(first, second, third);
    assert!(first.unwrap().is_ok() && second.unwrap().is_ok());
    assert!(matches!(third, Err(CallError::CircuitOpen { retry_after, .. }) if retry_after.is_zero()));
    assert_eq!(service.call(true).await, Ok(Ok(6)), "two successful trials closed it");
    assert_eq!(circuit_states(&t, "call").last(), Some(&CircuitState::Closed));
}

#[tokio::test]
async fn panics_and_timeouts_are_failures() {
    let t = TestSystem::new();
    let service = t.system().spawn(Service::default);
    for _ in 0..2 {
        assert!(matches!(service.explode().await, Err(CallError::Panicked { .. })));
        t.advance(SECOND).await;
    }
    assert!(matches!(service.explode().await, Err(CallError::CircuitOpen { .. })));

    let timed_out = service.slow(5 * SECOND, true).timeout(SECOND).await;
    assert!(matches!(timed_out, Err(CallError::Timeout { .. })));
    assert!(matches!(
        service.slow(MS, true).await,
        Err(CallError::CircuitOpen { .. })
    ));
}

#[tokio::test]
async fn late_results_from_an_earlier_generation_are_ignored() {
    let t = TestSystem::new();
    let service = t.system().spawn(Service::default);
    // A slow call that will fail is let through while the breaker is closed.
    let late = tokio::spawn(service.slow(30 * SECOND, false).into_future());
    t.settle().await;
    // A call queued behind it times out: a failure, which opens the breaker.
    let timed_out = service.slow(MS, true).timeout(SECOND).await;
    assert!(matches!(timed_out, Err(CallError::Timeout { .. })));
    // After the cooldown a trial is let through (queued behind the slow call).
    t.advance(SECOND).await;
    let trial = tokio::spawn(service.slow(MS, true).into_future());
    t.settle().await;
    // The slow call's failure now arrives, from before the breaker opened:
    // ignored, so the trial's success closes the breaker.
    t.advance(30 * SECOND).await;
    assert_eq!(late.await.unwrap(), Ok(Err("slow failure".into())));
    assert_eq!(trial.await.unwrap(), Ok(Ok(())));
    assert_eq!(
        circuit_states(&t, "slow"),
        [
            CircuitState::Open { retry_after: SECOND },
            CircuitState::HalfOpen,
            CircuitState::Closed
        ]
    );
}

#[tokio::test]
async fn a_breaker_survives_restarts_of_its_process() {
    let t = TestSystem::new();
    let service = t.system().spawn(Service::default);
    let other_handle = service.clone();
    for _ in 0..3 {
        service.call(false).await.unwrap().unwrap_err();
    }
    t.crash(&service, "restart");
    t.advance(SECOND).await;
    assert!(matches!(
        other_handle.call(true).await,
        Err(CallError::CircuitOpen { .. })
    ));
}

#[tokio::test]
async fn a_rate_limit_refuses_over_quota_and_refills_on_time() {
    let t = TestSystem::new();
    let service = t.system().spawn(Service::default);
    assert_eq!(service.limited().await, Ok(1));
    assert_eq!(service.limited().await, Ok(1));
    let error = service.limited().await.unwrap_err();
    assert!(
        matches!(error, CallError::RateLimited { retry_after, .. } if retry_after == 500 * MS),
        "{error:?}"
    );
    t.advance(499 * MS).await;
    assert!(matches!(service.limited().await, Err(CallError::RateLimited { retry_after, .. }) if retry_after == MS));
    t.advance(MS).await;
    assert_eq!(service.limited().await, Ok(1));
    assert!(matches!(service.limited().send(), Err(SendError::RateLimited { .. })));
    assert_eq!(
        t.events().count(|kind| matches!(kind, EventKind::RateLimited { .. })),
        3
    );
}

#[tokio::test]
async fn keyed_limits_keep_one_quota_per_key() {
    let t = TestSystem::new();
    let service = t.system().spawn(Service::default);
    assert!(service.keyed("ada".into()).await.is_ok());
    assert!(service.keyed("bob".into()).await.is_ok(), "another key, another quota");
    assert!(matches!(
        service.keyed("ada".into()).await,
        Err(CallError::RateLimited { .. })
    ));
    t.advance(SECOND).await;
    assert!(service.keyed("ada".into()).await.is_ok());
}

#[tokio::test]
async fn in_wait_mode_a_call_over_quota_waits_without_blocking_the_process() {
    let t = TestSystem::new();
    let service = t.system().spawn(Service::default);
    service.patient().await.unwrap();
    service.patient().await.unwrap();
    let waiting = tokio::spawn(service.patient().into_future());
    t.advance(499 * MS).await;
    assert!(!waiting.is_finished());
    assert_eq!(service.handled().await, Ok(0), "the process answers meanwhile");
    t.advance(MS).await;
    assert_eq!(waiting.await.unwrap(), Ok(2));
    assert_eq!(t.elapsed(), 500 * MS);
}

#[tokio::test]
async fn in_wait_mode_a_tell_that_cannot_wait_is_refused_over_quota() {
    let t = TestSystem::new();
    let service = t.system().spawn(Service::default);
    service.patient().send().unwrap();
    service.patient().send().unwrap();
    let refused = service.patient().send();
    assert!(
        matches!(refused, Err(SendError::RateLimited { retry_after, .. }) if retry_after == 500 * MS),
        "`send` never waits, so over quota it is refused: {refused:?}"
    );
    service.patient().send_wait().await.unwrap();
    assert_eq!(t.elapsed(), 500 * MS, "`send_wait` waited for the quota");
}

#[tokio::test]
async fn the_rate_limit_is_checked_before_the_breaker() {
    let t = TestSystem::new();
    let service = t.system().spawn(Service::default);
    assert!(service.both(false).await.unwrap().is_err());
    let error = service.both(true).await.unwrap_err();
    assert!(matches!(error, CallError::RateLimited { .. }), "{error:?}");
    t.advance(Duration::from_secs(60)).await;
    assert!(matches!(service.both(true).await, Err(CallError::CircuitOpen { .. })));
}
