//! Benchmarks of phyx against a bare tokio baseline (a task looping over an
//! mpsc receiver; mpsc plus oneshot for asks), kameo, ractor and actix.
//!
//! Every system implements the same counter (its state a `u64`) and runs
//! the same scenarios through [`Subject`], on tokio's current-thread and
//! 2-worker multi-thread runtimes. `benches/actors.rs` times them with
//! criterion; `src/bin/ratios.rs` runs each once in one process and prints
//! the ratio table of the README. Sizes follow issue 6;
//! `PHYX_BENCH_QUICK=1` divides them by 100 for a smoke run.
//!
//! With the `cluster` feature (on by default), [`remote`] calls a counter
//! on another node, against async-nats alone, on a nats-server that
//! [`nats_server`] starts. With `isolated` (on by default), [`isolated`]
//! calls a counter in a child OS process of its own, against the same
//! counter as a local process. With `journal` (on by default),
//! [`file_journal`] appends to a `FileJournal`, against plain writes of
//! the same bytes to the same disk; [`journal`] persists through an
//! event-sourced process against its store's own appends, and replays; and
//! with `cluster` too, [`jetstream_journal`] measures the JetStream
//! journal store's appends against async-nats's JetStream alone, and its
//! replay of a million events.

use std::future::Future;
use std::time::{Duration, Instant};

pub mod actix_counter;
pub mod alloc;
pub mod decorators;
#[cfg(feature = "cluster")]
pub mod durable;
#[cfg(feature = "journal")]
pub mod file_journal;
#[cfg(feature = "isolated")]
pub mod isolated;
#[cfg(all(feature = "journal", feature = "cluster"))]
pub mod jetstream_journal;
#[cfg(feature = "journal")]
pub mod journal;
pub mod kameo_counter;
#[cfg(feature = "cluster")]
pub mod nats_server;
pub mod phyx_counter;
pub mod phyx_only;
pub mod ractor_counter;
#[cfg(feature = "cluster")]
pub mod remote;
pub mod tokio_baseline;
pub mod traced;

/// Counts every allocation of the benchmark binaries, to report
/// allocations per tell and per ask and bytes per idle process.
#[global_allocator]
static ALLOCATOR: alloc::Counting = alloc::Counting;

/// Mailbox capacity of every bounded mailbox here: phyx's default, and
/// what kameo and the bounded tokio baseline are given.
pub const MAILBOX: usize = phyx::SpawnOptions::DEFAULT_MAILBOX_CAPACITY;

/// Which tokio runtime a scenario runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// `new_current_thread`: everything on one thread.
    CurrentThread,
    /// `new_multi_thread` with 2 workers, one per core of the benchmark
    /// machine.
    MultiThread,
}

impl Flavor {
    /// Both flavors, current-thread first.
    pub const ALL: [Flavor; 2] = [Flavor::CurrentThread, Flavor::MultiThread];

    /// A short label for tables and benchmark ids.
    pub fn label(self) -> &'static str {
        match self {
            Flavor::CurrentThread => "current-thread",
            Flavor::MultiThread => "multi-thread(2)",
        }
    }

    /// A fresh runtime of this flavor.
    pub fn runtime(self) -> tokio::runtime::Runtime {
        let mut builder = match self {
            Flavor::CurrentThread => tokio::runtime::Builder::new_current_thread(),
            Flavor::MultiThread => {
                let mut builder = tokio::runtime::Builder::new_multi_thread();
                builder.worker_threads(2);
                builder
            }
        };
        builder.enable_all().build().expect("a tokio runtime")
    }
}

/// Runs `scenario` as a task on a fresh runtime of `flavor` (a task, not
/// `block_on`, so that on the multi-thread runtime it runs on a worker like
/// the processes it talks to), then drops the runtime.
pub fn run_on<F>(flavor: Flavor, scenario: impl FnOnce() -> F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let runtime = flavor.runtime();
    let output = runtime.block_on(async { tokio::spawn(scenario()).await.expect("the scenario panicked") });
    drop(runtime);
    output
}

/// Scenario sizes: issue 6's, or a hundredth of them when
/// `PHYX_BENCH_QUICK` is set.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    /// Tells in the throughput scenario (then one ask).
    pub tells: u64,
    /// Sequential asks in the round-trip scenario.
    pub asks: u64,
    /// Processes spawned, then stopped.
    pub spawns: usize,
    /// Senders in the fan-in scenario; `tells` are split among them.
    pub senders: u64,
    /// Processes in the ring.
    pub ring_size: usize,
    /// Times the message is passed on around the ring.
    pub ring_hops: u64,
    /// Crashes in the restart-latency scenario.
    pub restarts: u64,
    /// Sequential asks to another node.
    pub remote_asks: u64,
    /// Tells to another node (then one ask).
    pub remote_tells: u64,
    /// Durable tells one after another, each waiting until stored.
    pub durable_stored: u64,
    /// Durable tells as fast as they go, until all were handled.
    pub durable_tells: u64,
    /// Sequential asks to an isolated process (and to the same process,
    /// local).
    pub isolated_asks: u64,
    /// Crashes of an isolated process, each then asked.
    pub isolated_restarts: u64,
    /// `FileJournal` appends (and raw writes) each synced to the disk.
    pub journal_synced: u64,
    /// `FileJournal` appends (and raw writes) each only written to the OS.
    pub journal_buffered: u64,
    /// Events persisted through a process (and appended to the store
    /// alone) on a `FileJournal` that syncs each.
    pub persisted_synced: usize,
    /// The same on a `FileJournal` that only writes to the OS, and on a
    /// `MemoryJournal`.
    pub persisted_buffered: usize,
    /// Events in the journal a process replays.
    pub replayed: u64,
    /// One-event appends to a JetStream journal, one after another.
    pub journal_appends: u64,
    /// Events in the journal a replay reads.
    pub journal_replay: u64,
}

impl Sizes {
    /// Issue 6's sizes.
    pub const FULL: Sizes = Sizes {
        tells: 1_000_000,
        asks: 100_000,
        spawns: 100_000,
        senders: 8,
        ring_size: 10_000,
        ring_hops: 1_000_000,
        restarts: 1_000,
        remote_asks: 20_000,
        remote_tells: 1_000_000,
        durable_stored: 2_000,
        durable_tells: 100_000,
        isolated_asks: 20_000,
        isolated_restarts: 50,
        journal_synced: 2_000,
        journal_buffered: 100_000,
        persisted_synced: 1_000,
        persisted_buffered: 20_000,
        replayed: 1_000_000,
        journal_appends: 5_000,
        journal_replay: 1_000_000,
    };

    /// [`FULL`](Self::FULL), or a hundredth of it if `PHYX_BENCH_QUICK` is
    /// set (to anything but `0`).
    pub fn from_env() -> Sizes {
        let quick = std::env::var_os("PHYX_BENCH_QUICK").is_some_and(|value| value != "0");
        if !quick {
            return Sizes::FULL;
        }
        let full = Sizes::FULL;
        Sizes {
            tells: full.tells / 100,
            asks: full.asks / 100,
            spawns: full.spawns / 100,
            senders: full.senders,
            ring_size: full.ring_size / 100,
            ring_hops: full.ring_hops / 100,
            restarts: full.restarts / 100,
            remote_asks: full.remote_asks / 100,
            remote_tells: full.remote_tells / 100,
            durable_stored: full.durable_stored / 100,
            durable_tells: full.durable_tells / 100,
            isolated_asks: full.isolated_asks / 100,
            isolated_restarts: 5,
            journal_synced: full.journal_synced / 100,
            journal_buffered: full.journal_buffered / 100,
            persisted_synced: full.persisted_synced / 100,
            persisted_buffered: full.persisted_buffered / 100,
            replayed: full.replayed / 100,
            journal_appends: full.journal_appends / 100,
            journal_replay: full.journal_replay / 100,
        }
    }
}

/// Time and allocations of one measured stretch.
#[derive(Debug, Clone, Copy)]
pub struct Run {
    /// Wall-clock time.
    pub elapsed: Duration,
    /// Heap allocations meanwhile, on every thread.
    pub allocations: u64,
}

/// Starts measuring a [`Run`].
#[derive(Debug)]
pub struct Meter {
    start: Instant,
    allocations: u64,
}

impl Meter {
    /// Starts the clock and the allocation count.
    pub fn start() -> Meter {
        Meter {
            allocations: alloc::allocations(),
            start: Instant::now(),
        }
    }

    /// What happened since [`start`](Self::start).
    pub fn stop(self) -> Run {
        let elapsed = self.start.elapsed();
        Run {
            elapsed,
            allocations: alloc::allocations() - self.allocations,
        }
    }
}

/// Round trips of sequential asks.
#[derive(Debug, Clone)]
pub struct Latencies {
    /// Each ask's round trip, sorted.
    pub sorted: Vec<Duration>,
    /// Allocations during all of them.
    pub allocations: u64,
}

impl Latencies {
    /// Builds from unsorted samples.
    pub fn new(mut samples: Vec<Duration>, allocations: u64) -> Latencies {
        samples.sort_unstable();
        Latencies {
            sorted: samples,
            allocations,
        }
    }

    /// The mean round trip.
    pub fn mean(&self) -> Duration {
        let total: Duration = self.sorted.iter().sum();
        total / u32::try_from(self.sorted.len().max(1)).unwrap_or(u32::MAX)
    }

    /// The `q` quantile (0.5 is the median).
    pub fn quantile(&self, q: f64) -> Duration {
        if self.sorted.is_empty() {
            return Duration::ZERO;
        }
        let last = self.sorted.len() - 1;
        // Rounding a quantile to an index: precision loss is irrelevant.
        #[allow(
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss
        )]
        let index = ((last as f64) * q).round() as usize;
        self.sorted[index.min(last)]
    }

    /// Allocations per ask.
    pub fn allocations_per_ask(&self) -> f64 {
        per(self.allocations, self.sorted.len() as u64)
    }
}

/// The cost of spawning idle processes.
#[derive(Debug, Clone, Copy)]
pub struct SpawnCost {
    /// Spawning them all (each spawn call, until it returned the handle).
    pub spawn: Run,
    /// How many.
    pub count: usize,
    /// Heap bytes that stay live per process once each has started and is
    /// idle (handles included, the `Vec` holding them not).
    pub idle_bytes: i64,
}

impl SpawnCost {
    /// Time per spawn.
    pub fn per_spawn(&self) -> Duration {
        self.spawn.elapsed / u32::try_from(self.count.max(1)).unwrap_or(u32::MAX)
    }
}

/// Live heap bytes now; call before spawning, then pass the reading to
/// [`bytes_each_since`] once the processes are idle.
pub fn live_bytes() -> i64 {
    alloc::live_bytes()
}

/// The heap bytes each of `count` processes keeps: live bytes now, less
/// `before` (a [`live_bytes`] reading from before they were spawned),
/// divided among them.
pub fn bytes_each_since(before: i64, count: usize) -> i64 {
    (live_bytes() - before) / i64::try_from(count.max(1)).unwrap_or(1)
}

/// `count / n` as a float, for per-message figures.
#[allow(clippy::cast_precision_loss)]
pub fn per(count: u64, n: u64) -> f64 {
    count as f64 / n.max(1) as f64
}

/// The kind of mailbox a system's counter uses; peers are compared with
/// the tokio baseline of the same kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailboxKind {
    /// Bounded to [`MAILBOX`]; a tell waits for room when it is full.
    Bounded,
    /// Unbounded: a tell never waits.
    Unbounded,
}

/// One system's counter, run through every scenario of issue 6.
pub trait Subject {
    /// The name in tables.
    const NAME: &'static str;
    /// The mailbox its counter uses.
    const MAILBOX: MailboxKind;

    /// One sender, `n` increments (each waiting for room if the mailbox is
    /// full), then one ask that asserts the count.
    fn tell(flavor: Flavor, n: u64) -> Run;

    /// `n` sequential asks.
    fn ask(flavor: Flavor, n: u64) -> Latencies;

    /// `n` processes spawned, measured once idle, then stopped.
    fn spawn(flavor: Flavor, n: usize) -> SpawnCost;

    /// `senders` tasks share `n` increments to one counter; one ask asserts
    /// the count.
    fn fan_in(flavor: Flavor, senders: u64, n: u64) -> Run;

    /// One message passed on `hops` times around a ring of `size`
    /// processes.
    fn ring(flavor: Flavor, size: usize, hops: u64) -> Run;
}
