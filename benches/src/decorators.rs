//! The caller-side decorators on the hot path: a `#[cache]` hit against
//! the hash lookup a caller would write by hand, and against the ask it
//! saves; `#[validate]` is a row of the guards table ([`crate::phyx_only`]).

use std::collections::HashMap;
use std::hash::RandomState;
use std::hint::black_box;
use std::sync::Mutex;

use phyx::prelude::*;

use crate::{Flavor, Meter, Run, run_on};

/// How many distinct keys the asks cycle over: all of them cached.
const KEYS: u64 = 64;

/// A price list whose `price` is cached, and the same method uncached.
#[derive(Debug, Default)]
pub struct Prices;

#[process]
impl Prices {
    /// Cached for an hour: every benchmark ask after the first of a key
    /// is a hit.
    #[public]
    #[cache(ttl = "1h", capacity = 1024)]
    pub fn price(&self, item: u64) -> u64 {
        item * 3
    }

    /// The same, asked of the process every time.
    #[public]
    pub fn price_uncached(&self, item: u64) -> u64 {
        item * 3
    }
}

/// `n` asks of a cached method, every one a hit.
pub fn cache_hit(flavor: Flavor, n: u64) -> Run {
    run_on(flavor, move || async move {
        let system = System::new();
        let prices = system.spawn(|| Prices);
        for item in 0..KEYS {
            prices.price(item).await.expect("warmed");
        }
        let meter = Meter::start();
        let mut sum = 0;
        for i in 0..n {
            sum += prices.price(black_box(i % KEYS)).await.expect("a hit");
        }
        let run = meter.stop();
        black_box(sum);
        system.shutdown().await;
        run
    })
}

/// `n` asks of the same method without a cache: what a hit saves.
pub fn uncached_ask(flavor: Flavor, n: u64) -> Run {
    run_on(flavor, move || async move {
        let system = System::new();
        let prices = system.spawn(|| Prices);
        prices.price_uncached(0).await.expect("started");
        let meter = Meter::start();
        let mut sum = 0;
        for i in 0..n {
            sum += prices.price_uncached(black_box(i % KEYS)).await.expect("a reply");
        }
        let run = meter.stop();
        black_box(sum);
        system.shutdown().await;
        run
    })
}

/// `n` lookups in the cache a caller would write by hand: a `HashMap`
/// (std's SipHash, as phyx's) behind a `Mutex`, the value copied out.
pub fn hash_lookup(n: u64) -> Run {
    let table: Mutex<HashMap<u64, u64, RandomState>> = Mutex::new((0..KEYS).map(|item| (item, item * 3)).collect());
    let meter = Meter::start();
    let mut sum = 0;
    for i in 0..n {
        let item = black_box(i % KEYS);
        sum += *table.lock().expect("not poisoned").get(&item).expect("cached");
    }
    let run = meter.stop();
    black_box(sum);
    run
}

/// `n` iterations of the same loop with the value computed in place:
/// "nothing", the floor under both.
pub fn nothing(n: u64) -> Run {
    let meter = Meter::start();
    let mut sum = 0;
    for i in 0..n {
        sum += black_box(i % KEYS) * 3;
    }
    let run = meter.stop();
    black_box(sum);
    run
}

/// Which of the decorators' scenarios to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// [`nothing`].
    Nothing,
    /// [`hash_lookup`].
    HashLookup,
    /// [`cache_hit`].
    CacheHit,
    /// [`uncached_ask`].
    UncachedAsk,
}

impl Scenario {
    /// Every scenario, the floor first.
    pub const ALL: [Scenario; 4] = [
        Scenario::Nothing,
        Scenario::HashLookup,
        Scenario::CacheHit,
        Scenario::UncachedAsk,
    ];

    /// A label for tables.
    pub fn label(self) -> &'static str {
        match self {
            Scenario::Nothing => "nothing (the value computed in place)",
            Scenario::HashLookup => "hand-written cache: Mutex<HashMap> lookup",
            Scenario::CacheHit => "#[cache] hit (ask answered at the caller)",
            Scenario::UncachedAsk => "the same ask, uncached",
        }
    }

    /// Runs it `n` times.
    pub fn run(self, flavor: Flavor, n: u64) -> Run {
        match self {
            Scenario::Nothing => nothing(n),
            Scenario::HashLookup => hash_lookup(n),
            Scenario::CacheHit => cache_hit(flavor, n),
            Scenario::UncachedAsk => uncached_ask(flavor, n),
        }
    }
}
