//! Scenarios only phyx has: each overflow policy, tells through
//! `#[circuit_breaker]`, `#[rate_limit]` (neither tripped) and
//! `#[validate]` (accepting), and restart latency.

use std::time::{Duration, Instant};

use phyx::prelude::*;
use phyx::{Backoff, Overflow, SendError, SpawnOptions};

use crate::phyx_counter::Counter;
use crate::{Flavor, Latencies, Meter, Run, run_on};

/// One sender, `n` increments into a mailbox under `overflow`, then one ask.
///
/// Backpressure tells with `send_wait`. Reject tells with `send` and, when
/// refused, yields and tries again, so every increment arrives. Drop-oldest
/// tells with `send`, which never fails: on the current-thread runtime the
/// counter only runs once the sender is done, so most increments are
/// dropped and the count is only checked not to exceed `n`.
pub fn overflow(flavor: Flavor, overflow: Overflow, n: u64) -> Run {
    run_on(flavor, move || async move {
        let system = System::new();
        let counter = system.spawn_with(Counter::default, SpawnOptions::new().overflow(overflow));
        counter.get().await.expect("started");
        let meter = Meter::start();
        for _ in 0..n {
            match overflow {
                Overflow::Backpressure => counter.increment(1).send_wait().await.expect("queued"),
                _ => loop {
                    match counter.increment(1).send() {
                        Ok(()) => break,
                        Err(SendError::MailboxFull { .. }) => tokio::task::yield_now().await,
                        Err(error) => panic!("{error}"),
                    }
                },
            }
        }
        let count = counter.get().await.expect("the count");
        let run = meter.stop();
        if overflow == Overflow::DropOldest {
            assert!(count <= n);
        } else {
            assert_eq!(count, n);
        }
        system.shutdown().await;
        run
    })
}

/// A counter whose increments are guarded, with quotas far above what a
/// benchmark reaches, so nothing trips: what is measured is the cost of
/// checking.
#[derive(Debug, Default)]
pub struct Guarded {
    count: u64,
}

#[process]
impl Guarded {
    /// Unguarded, for comparison.
    #[public]
    pub fn increment(&mut self, by: u64) {
        self.count += by;
    }

    /// Behind a circuit breaker.
    #[public]
    #[circuit_breaker(failures = 5, cooldown = "30s")]
    pub fn increment_breaker(&mut self, by: u64) {
        self.count += by;
    }

    /// Behind a rate limit.
    #[public]
    #[rate_limit(per_second = 1_000_000_000, burst = 1_000_000_000)]
    pub fn increment_limited(&mut self, by: u64) {
        self.count += by;
    }

    /// Behind both.
    #[public]
    #[circuit_breaker(failures = 5, cooldown = "30s")]
    #[rate_limit(per_second = 1_000_000_000, burst = 1_000_000_000)]
    pub fn increment_guarded(&mut self, by: u64) {
        self.count += by;
    }

    /// Behind a validator that accepts every call.
    #[public]
    #[validate(with = nonzero)]
    pub fn increment_validated(&mut self, by: u64) {
        self.count += by;
    }

    /// The count.
    #[public]
    pub fn get(&self) -> u64 {
        self.count
    }
}

/// The validator of [`Guarded::increment_validated`]: as cheap as a check
/// gets, so that what is measured is phyx's part.
fn nonzero(by: &u64) -> Result<(), &'static str> {
    if *by == 0 { Err("an increment of zero") } else { Ok(()) }
}

/// Which of [`Guarded`]'s increments a tell goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guard {
    /// `increment`: no attribute.
    None,
    /// `increment_breaker`: `#[circuit_breaker]`.
    Breaker,
    /// `increment_limited`: `#[rate_limit]`.
    RateLimit,
    /// `increment_guarded`: both.
    Both,
    /// `increment_validated`: `#[validate]`, accepting.
    Validated,
}

impl Guard {
    /// Every variant, unguarded first.
    pub const ALL: [Guard; 5] = [
        Guard::None,
        Guard::Breaker,
        Guard::RateLimit,
        Guard::Both,
        Guard::Validated,
    ];

    /// A label for tables.
    pub fn label(self) -> &'static str {
        match self {
            Guard::None => "tell, no attribute",
            Guard::Breaker => "tell, #[circuit_breaker]",
            Guard::RateLimit => "tell, #[rate_limit]",
            Guard::Both => "tell, both",
            Guard::Validated => "tell, #[validate] (accepting)",
        }
    }
}

/// One sender, `n` tells through `guard` (waiting for room), then one ask.
pub fn guarded(flavor: Flavor, guard: Guard, n: u64) -> Run {
    run_on(flavor, move || async move {
        let system = System::new();
        let counter = system.spawn(Guarded::default);
        counter.get().await.expect("started");
        let meter = Meter::start();
        for _ in 0..n {
            let call = match guard {
                Guard::None => counter.increment(1),
                Guard::Breaker => counter.increment_breaker(1),
                Guard::RateLimit => counter.increment_limited(1),
                Guard::Both => counter.increment_guarded(1),
                Guard::Validated => counter.increment_validated(1),
            };
            call.send_wait().await.expect("queued");
        }
        assert_eq!(counter.get().await.expect("the count"), n);
        let run = meter.stop();
        system.shutdown().await;
        run
    })
}

/// A process that crashes on demand.
#[derive(Debug, Default)]
pub struct Fragile {
    count: u64,
}

#[process]
impl Fragile {
    /// Panics: the process restarts.
    #[public]
    pub fn crash(&mut self) {
        panic!("crash on demand");
    }

    /// The count (0 in a fresh instance).
    #[public]
    pub fn get(&self) -> u64 {
        self.count
    }
}

/// `n` times: tell a crash, then ask; the round trip of the ask is the time
/// from the panic's message to the next message handled by the new
/// instance (and its reply). No backoff; a restart limit that `n` crashes
/// do not reach. The panic hook is silenced meanwhile.
pub fn restart(flavor: Flavor, n: u64) -> Latencies {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let latencies = run_on(flavor, move || async move {
        let system = System::new();
        let options = SpawnOptions::new()
            .backoff(Backoff::none())
            .max_restarts(u32::MAX, Duration::from_secs(1));
        let fragile = system.spawn_with(Fragile::default, options);
        fragile.get().await.expect("started");
        let mut samples = Vec::with_capacity(usize::try_from(n).unwrap_or(0));
        let meter = Meter::start();
        for _ in 0..n {
            let start = Instant::now();
            fragile.crash().send().expect("queued");
            assert_eq!(fragile.get().await.expect("the new instance replies"), 0);
            samples.push(start.elapsed());
        }
        let run = meter.stop();
        system.shutdown().await;
        Latencies::new(samples, run.allocations)
    });
    std::panic::set_hook(hook);
    latencies
}

/// Where [`pool_ask`] sends its asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolTarget {
    /// One counter, asked directly: what a pool member costs alone.
    Direct,
    /// A pool of four counters routed by key (the argument), which
    /// callers route themselves.
    ByKey,
    /// A pool of four counters, least loaded: through the router.
    LeastLoaded,
}

impl PoolTarget {
    /// Every variant, direct first.
    pub const ALL: [PoolTarget; 3] = [PoolTarget::Direct, PoolTarget::ByKey, PoolTarget::LeastLoaded];

    /// A label for tables.
    pub fn label(self) -> &'static str {
        match self {
            PoolTarget::Direct => "ask, one process",
            PoolTarget::ByKey => "ask, pool of 4 by key",
            PoolTarget::LeastLoaded => "ask, pool of 4 least loaded",
        }
    }
}

/// `n` asks of `increment(i % 4)`, one at a time, to `target`.
pub fn pool_ask(flavor: Flavor, target: PoolTarget, n: u64) -> Latencies {
    use crate::phyx_counter::{CounterMsg, CounterRef};
    use phyx::pool::{Pool, Routing};

    run_on(flavor, move || async move {
        let system = System::new();
        let counter: CounterRef = match target {
            PoolTarget::Direct => system.spawn(Counter::default),
            PoolTarget::ByKey => {
                let by_key = Routing::by_key(|message: &CounterMsg| match message {
                    CounterMsg::Increment { by, .. } => Some(*by.get()),
                    CounterMsg::Get { .. } => None,
                });
                system.spawn_pool(Counter::default, Pool::new().size(4).routing(by_key))
            }
            PoolTarget::LeastLoaded => system.pool(4, Counter::default),
        };
        for key in 0..4 {
            counter.increment(key).await.expect("started");
        }
        let mut samples = Vec::with_capacity(usize::try_from(n).unwrap_or(0));
        let meter = Meter::start();
        for i in 0..n {
            let start = Instant::now();
            counter.increment(i % 4).await.expect("handled");
            samples.push(start.elapsed());
        }
        let run = meter.stop();
        system.shutdown().await;
        Latencies::new(samples, run.allocations)
    })
}
