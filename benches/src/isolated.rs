//! Calls to an isolated process (feature `isolated`): a counter in a child
//! OS process of its own (this benchmark binary again, whose `main` calls
//! [`serve_if_child`] first), asked from its parent, against the same
//! counter as a local process of the parent; and the restart of each, a
//! crash to the next reply.
//!
//! | | local | isolated |
//! | --- | --- | --- |
//! | setup | `spawn` | `spawn_isolated` on a node of a nats-server the benchmark starts |
//! | ask | `counter.get().await` | the same: through the server to the child and back |
//! | restart | a panic (`fail`), then `get` on the fresh instance | an abort (`abort`), then `get` on a fresh OS process |

use std::time::{Duration, Instant};

use phyx::isolated::Isolation;
use phyx::prelude::*;
use phyx::{Backoff, SpawnOptions};

use crate::{Flavor, Latencies, Meter, run_on};

/// Asks before each measured stretch.
const WARM_UP: u64 = 200;

/// The counter, as a process that can run in an OS process of its own.
#[derive(Debug, Default)]
pub struct IsolatedCounter {
    count: u64,
}

#[process(remote)]
impl IsolatedCounter {
    /// Adds `by`.
    #[public]
    pub fn increment(&mut self, by: u64) {
        self.count += by;
    }

    /// The count.
    #[public]
    pub fn get(&self) -> u64 {
        self.count
    }

    /// Panics: a crash a local process survives.
    #[public]
    pub fn fail(&self) {
        panic!("crash")
    }

    /// Aborts the OS process: a crash only an isolated process survives.
    #[public]
    pub fn abort(&self) {
        std::process::abort()
    }
}

/// Serves the counter when this binary runs as a child; returns at once
/// otherwise. First thing in `main`.
pub fn serve_if_child() {
    phyx::isolated::serve_if_child(|children| children.add(IsolatedCounter::default));
}

/// Where the counter runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// A process of the caller's system.
    Local,
    /// A process in a child OS process.
    Isolated,
}

impl Place {
    /// The name in tables.
    pub fn label(self) -> &'static str {
        match self {
            Place::Local => "local",
            Place::Isolated => "isolated",
        }
    }
}

async fn system(url: &str) -> System {
    System::builder()
        .node("parent")
        .cluster(url)
        .namespace("bench-isolated")
        .connect()
        .await
        .unwrap_or_else(|error| panic!("the parent did not join: {error}"))
}

fn counter(system: &System, place: Place) -> IsolatedCounterRef {
    let options = SpawnOptions::new()
        .backoff(Backoff::none())
        .max_restarts(u32::MAX, Duration::from_secs(1));
    match place {
        Place::Local => system.spawn_with(IsolatedCounter::default, options),
        Place::Isolated => system.spawn_isolated_with::<IsolatedCounter>(Isolation::new(), options),
    }
}

/// `n` sequential asks to a counter in `place`, after a warm-up.
pub fn ask(flavor: Flavor, url: &str, place: Place, n: u64) -> Latencies {
    let url = url.to_owned();
    run_on(flavor, move || async move {
        let system = system(&url).await;
        let counter = counter(&system, place);
        counter.increment(7).await.expect("started");
        for _ in 0..WARM_UP {
            assert_eq!(counter.get().await.expect("the count"), 7);
        }
        let mut samples = Vec::with_capacity(usize::try_from(n).unwrap_or(0));
        let meter = Meter::start();
        for _ in 0..n {
            let start = Instant::now();
            assert_eq!(counter.get().await.expect("the count"), 7);
            samples.push(start.elapsed());
        }
        let run = meter.stop();
        system.shutdown().await;
        Latencies::new(samples, run.allocations)
    })
}

/// `n` crashes of a counter in `place` (a panic locally, an abort of its
/// OS process isolated), each timed from the crash's tell to the next
/// reply, from the fresh instance.
pub fn restart(flavor: Flavor, url: &str, place: Place, n: u64) -> Latencies {
    let url = url.to_owned();
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let latencies = run_on(flavor, move || async move {
        let system = system(&url).await;
        let counter = counter(&system, place);
        counter.get().await.expect("started");
        let mut samples = Vec::with_capacity(usize::try_from(n).unwrap_or(0));
        let meter = Meter::start();
        for _ in 0..n {
            counter.increment(1).await.expect("counted");
            let start = Instant::now();
            match place {
                Place::Local => counter.fail().send().expect("queued"),
                Place::Isolated => counter.abort().send().expect("queued"),
            }
            assert_eq!(counter.get().await.expect("the new instance replies"), 0);
            samples.push(start.elapsed());
        }
        let run = meter.stop();
        system.shutdown().await;
        Latencies::new(samples, run.allocations)
    });
    std::panic::set_hook(hook);
    latencies
}
