//! Per-method resilience: `#[rate_limit]` and `#[circuit_breaker]`, checked
//! at the caller before a message enters the mailbox.

use std::hash::{Hash, Hasher};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::keyed::HashMapStateStore;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};

use crate::clock::Clock;
use crate::event::{CircuitState, EventKind};

/// Where a breaker reports its state changes: the events of its process.
pub(crate) type Report<'a> = &'a dyn Fn(EventKind);

/// `#[rate_limit(...)]` as written.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct RateSpec {
    pub per: Duration,
    pub count: u32,
    pub burst: u32,
    pub wait: bool,
    pub keyed: bool,
}

/// `#[circuit_breaker(...)]` as written.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct BreakerSpec {
    pub failures: u32,
    pub cooldown: Duration,
    pub trials: u32,
}

/// The guards of one method, as `#[process]` declares them.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct GuardSpec {
    pub method: &'static str,
    pub rate: Option<RateSpec>,
    pub breaker: Option<BreakerSpec>,
}

/// A method's live guards, shared by every handle and kept across restarts.
pub(crate) struct MethodGuard {
    pub(crate) method: &'static str,
    pub(crate) limiter: Option<Limiter>,
    pub(crate) breaker: Option<Breaker>,
}

pub(crate) fn build(clock: &Arc<dyn Clock>, specs: &[GuardSpec]) -> Vec<Arc<MethodGuard>> {
    specs
        .iter()
        .map(|spec| {
            Arc::new(MethodGuard {
                method: spec.method,
                limiter: spec.rate.map(|rate| Limiter::new(clock, rate)),
                breaker: spec.breaker.map(Breaker::new),
            })
        })
        .collect()
}

/// governor's view of a phyx clock: nanoseconds since the limiter began.
#[derive(Clone)]
struct GovernorClock {
    clock: Arc<dyn Clock>,
    origin: Instant,
}

impl governor::clock::Clock for GovernorClock {
    type Instant = Nanos;

    fn now(&self) -> Nanos {
        Nanos::from(self.clock.now().saturating_duration_since(self.origin))
    }
}

type Direct = RateLimiter<NotKeyed, InMemoryState, GovernorClock, NoOpMiddleware<Nanos>>;
type Keyed = RateLimiter<u64, HashMapStateStore<u64>, GovernorClock, NoOpMiddleware<Nanos>>;

/// Keys a keyed limiter remembers before it forgets those that are full
/// again.
const MAX_KEYS: usize = 10_000;

pub(crate) struct Limiter {
    kind: LimiterKind,
    clock: GovernorClock,
    pub(crate) wait: bool,
}

enum LimiterKind {
    Direct(Direct),
    Keyed(Keyed),
}

impl Limiter {
    fn new(clock: &Arc<dyn Clock>, spec: RateSpec) -> Self {
        let count = NonZeroU32::new(spec.count.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(spec.burst.max(1)).unwrap_or(NonZeroU32::MIN);
        let period = spec.per / count.get();
        let quota = Quota::with_period(period)
            .unwrap_or_else(|| Quota::per_second(count))
            .allow_burst(burst);
        let clock = GovernorClock {
            clock: clock.clone(),
            origin: clock.now(),
        };
        let kind = if spec.keyed {
            LimiterKind::Keyed(RateLimiter::new(quota, HashMapStateStore::default(), clock.clone()))
        } else {
            LimiterKind::Direct(RateLimiter::new(quota, InMemoryState::default(), clock.clone()))
        };
        Self {
            kind,
            clock,
            wait: spec.wait,
        }
    }

    /// Takes one call from the quota, or says how long until one is free.
    pub(crate) fn check(&self, key: u64) -> Result<(), Duration> {
        let outcome = match &self.kind {
            LimiterKind::Direct(limiter) => limiter.check(),
            LimiterKind::Keyed(limiter) => {
                let outcome = limiter.check_key(&key);
                if limiter.len() > MAX_KEYS {
                    limiter.retain_recent();
                }
                outcome
            }
        };
        // The clock is read again only to say how long to wait: a call
        // within its quota reads it once, inside governor.
        outcome.map_err(|not_until| not_until.wait_time_from(governor::clock::Clock::now(&self.clock)))
    }
}

/// A key for a keyed limiter, from the argument it is keyed by.
#[doc(hidden)]
pub fn key_of<K: Hash + ?Sized>(value: &K) -> u64 {
    // Fixed keys: the same argument maps to the same quota on every run.
    let mut hasher = std::hash::DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

/// A circuit breaker: closed, open until a cooldown ends, then half-open
/// for a few trial calls.
pub(crate) struct Breaker {
    spec: BreakerSpec,
    state: Mutex<BreakerState>,
    /// Whether the phase is `Open`, readable without the lock: a tell
    /// through a breaker that is not open costs one atomic load.
    open: AtomicBool,
}

struct BreakerState {
    phase: Phase,
    /// Bumped at every transition, so that results of calls let through in
    /// an earlier phase are ignored.
    generation: u64,
}

enum Phase {
    Closed { consecutive: u32 },
    Open { until: Instant },
    HalfOpen { in_flight: u32, succeeded: u32 },
}

/// A call the breaker let through; its result is reported with
/// [`Breaker::record`], or dropped unreported.
pub(crate) struct Permit {
    generation: u64,
}

impl Breaker {
    fn new(spec: BreakerSpec) -> Self {
        Self {
            spec,
            state: Mutex::new(BreakerState {
                phase: Phase::Closed { consecutive: 0 },
                generation: 0,
            }),
            open: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> MutexGuard<'_, BreakerState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Lets a call through, or says how long until the breaker may.
    ///
    /// A state change is reported through `report`, as an event of `method`.
    pub(crate) fn acquire(&self, now: Instant, method: &'static str, report: Report<'_>) -> Result<Permit, Duration> {
        let mut state = self.lock();
        match state.phase {
            Phase::Closed { .. } => Ok(Permit {
                generation: state.generation,
            }),
            Phase::Open { until } if now < until => Err(until - now),
            Phase::Open { .. } => {
                state.transition(
                    Phase::HalfOpen {
                        in_flight: 1,
                        succeeded: 0,
                    },
                    (method, &self.open, report),
                    now,
                );
                Ok(Permit {
                    generation: state.generation,
                })
            }
            Phase::HalfOpen { ref mut in_flight, .. } if *in_flight < self.spec.trials => {
                *in_flight += 1;
                Ok(Permit {
                    generation: state.generation,
                })
            }
            // Every trial slot is taken: try again once they report.
            Phase::HalfOpen { .. } => Err(Duration::ZERO),
        }
    }

    /// Whether a tell may pass: not while open. Tells take no trial slot
    /// and report no result: their outcome is not seen by the caller.
    ///
    /// `now` is read only while the breaker is open: a closed breaker costs
    /// a tell no clock read.
    pub(crate) fn allows(&self, now: impl FnOnce() -> Instant) -> Result<(), Duration> {
        if !self.open.load(Ordering::Acquire) {
            return Ok(());
        }
        match self.lock().phase {
            Phase::Open { until } => {
                let now = now();
                if now < until { Err(until - now) } else { Ok(()) }
            }
            _ => Ok(()),
        }
    }

    /// Reports how a call it let through ended: `None` if it neither
    /// succeeded nor failed (the mailbox refused it, the process stopped).
    pub(crate) fn record(
        &self,
        permit: Permit,
        success: Option<bool>,
        now: Instant,
        method: &'static str,
        report: Report<'_>,
    ) {
        let mut state = self.lock();
        if permit.generation != state.generation {
            return;
        }
        let spec = self.spec;
        match (&mut state.phase, success) {
            (Phase::HalfOpen { in_flight, .. }, None) => *in_flight = in_flight.saturating_sub(1),
            (_, None) | (Phase::Open { .. }, _) => {}
            (Phase::Closed { consecutive }, Some(true)) => *consecutive = 0,
            (Phase::Closed { consecutive }, Some(false)) => {
                *consecutive += 1;
                if *consecutive >= spec.failures {
                    let until = now + spec.cooldown;
                    state.transition(Phase::Open { until }, (method, &self.open, report), now);
                }
            }
            (Phase::HalfOpen { .. }, Some(false)) => {
                let until = now + spec.cooldown;
                state.transition(Phase::Open { until }, (method, &self.open, report), now);
            }
            (Phase::HalfOpen { in_flight, succeeded }, Some(true)) => {
                *in_flight = in_flight.saturating_sub(1);
                *succeeded += 1;
                if *succeeded >= spec.trials {
                    state.transition(Phase::Closed { consecutive: 0 }, (method, &self.open, report), now);
                }
            }
        }
    }
}

impl BreakerState {
    /// Moves to `phase`, mirrors whether it is open in `open`, and reports
    /// it as an event of `method`.
    fn transition(
        &mut self,
        phase: Phase,
        (method, open, report): (&'static str, &AtomicBool, Report<'_>),
        now: Instant,
    ) {
        open.store(matches!(phase, Phase::Open { .. }), Ordering::Release);
        let state = match phase {
            Phase::Closed { .. } => CircuitState::Closed,
            Phase::Open { until } => CircuitState::Open {
                retry_after: until - now,
            },
            Phase::HalfOpen { .. } => CircuitState::HalfOpen,
        };
        self.phase = phase;
        self.generation += 1;
        report(EventKind::Circuit { method, state });
    }
}
