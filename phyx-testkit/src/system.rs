//! A system on virtual time, with its events recorded and faults at hand.

use std::sync::Arc;
use std::time::Duration;

use phyx::{Call, Clock, Handle, Message, System};
use tokio::runtime::RuntimeFlavor;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

use crate::clock::VirtualClock;
use crate::driver::{Goal, Requests, drive};
use crate::events::{Events, Recorder};
use crate::faults::{Action, FaultPlan, Injection, Stall, When};
use crate::idle::IdleProbe;
use crate::paused::{self, Grid};
use crate::report::{FailureReport, Show};
use crate::seed::default_seed;

/// A [`System`] on a [`VirtualClock`], for tests.
///
/// Every phyx timer (ask timeouts, `send_after`, `ctx.sleep`, restart
/// backoff) runs on virtual time. It moves in [`advance`](Self::advance),
/// by exactly the duration asked; and, like tokio's paused clock, when the
/// test awaits something else (an ask, a timeout) and every task is idle,
/// it jumps to the next timer, phyx's or tokio's, so that the await
/// finishes at the exact virtual instant instead of hanging.
/// Every event is recorded ([`events`](Self::events)). Random draws
/// (backoff jitter, fault fractions) come from one seed, the same for a
/// test on every run; `PHYX_SEED=<n>` replays another.
///
/// # One clock: phyx's timers and tokio's
///
/// Use it in a plain `#[tokio::test]` (the current-thread runtime; with
/// `start_paused = true` or without). It pauses tokio's clock, and its
/// virtual clock *is* tokio's paused clock: [`System::now`],
/// `ctx.now()` and `tokio::time::Instant::now()` read the same instant, at
/// all times. So tokio's own timers in handlers or tasks
/// (`tokio::time::sleep`, `interval`, `timeout`) run on the same virtual
/// time: `advance` fires them as it passes their deadlines, in deadline
/// order with phyx's, and [`settle`](Self::settle) leaves them waiting.
///
/// Precision: a phyx timer fires at its exact instant, to the nanosecond.
/// A tokio timer fires when tokio's timer wheel would: at the first whole
/// millisecond (counted from the test system's start) at or after its
/// deadline, never before it and less than a millisecond after it; a
/// deadline on a whole millisecond, such as a `sleep(1h)` started at a
/// whole millisecond, fires exactly on it. Deadline order takes a tokio
/// deadline as rounded so; at the same instant, tokio's timers fire before
/// phyx's. At creation the test system moves tokio's clock forward by
/// less than a millisecond, onto one of the wheel's milliseconds.
///
/// Time moves only in `advance` and at idle moments; a test that moves
/// tokio's clock itself (`tokio::time::advance`) moves the test system's
/// too, and phyx timers it jumps past fire late, at the next idle moment.
/// Several test systems alive at once in one runtime share tokio's clock,
/// so advancing one advances all, and each fires its own timers on time;
/// only a timer between two whole milliseconds may fire up to a
/// millisecond late when another system moves the clock past it.
///
/// Needs tokio 1.45 or later, with its I/O driver enabled: `#[tokio::test]`
/// enables it, a runtime of your own needs `enable_all()`. The test system
/// tells an idle runtime apart without moving time by a datagram it sends
/// itself and tokio's count of idle parks.
///
/// # When a test fails
///
/// It prints the seed (to replay the run), how many events of each kind
/// were recorded and the last 40 of them; `PHYX_EVENTS=all` prints every
/// one, `PHYX_EVENTS=<n>` the last `n` ([`EVENTS_VAR`](crate::EVENTS_VAR)).
///
/// # Examples
///
/// ```
/// use phyx::prelude::*;
/// use phyx_testkit::TestSystem;
/// use std::time::Duration;
///
/// #[derive(Default)]
/// struct Ticker { ticks: u32 }
///
/// #[process]
/// impl Ticker {
///     #[public]
///     fn tick(&mut self, ctx: &mut Ctx<Self>) {
///         self.ticks += 1;
///         ctx.myself().tick().send_after(Duration::from_secs(3600)).unwrap();
///     }
///     #[public]
///     fn ticks(&self) -> u32 { self.ticks }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let t = TestSystem::new();
/// let ticker = t.system().spawn(Ticker::default);
/// ticker.tick().send().unwrap();
/// t.advance(Duration::from_secs(5 * 3600)).await; // five hours, instantly
/// assert_eq!(ticker.ticks().await.unwrap(), 6);
/// # }
/// ```
pub struct TestSystem {
    system: System,
    clock: VirtualClock,
    recorder: Recorder,
    faults: Arc<FaultPlan>,
    seed: u64,
    requests: Arc<Requests>,
    driver: JoinHandle<()>,
}

impl TestSystem {
    /// A test system with this test's seed (or `PHYX_SEED`).
    ///
    /// # Panics
    ///
    /// Outside a current-thread tokio runtime (`#[tokio::test]`), or in one
    /// without its I/O driver (a runtime of your own: build it with
    /// `enable_all()`).
    #[track_caller]
    pub fn new() -> Self {
        Self::with_seed(default_seed())
    }

    /// A test system with the given seed.
    ///
    /// # Panics
    ///
    /// Outside a current-thread tokio runtime (`#[tokio::test]`), or in one
    /// without its I/O driver (a runtime of your own: build it with
    /// `enable_all()`).
    #[track_caller]
    pub fn with_seed(seed: u64) -> Self {
        Self::build(seed, |builder| builder)
    }

    /// A test system with this test's seed whose event-sourced processes
    /// keep their journals in `store`: a
    /// [`FaultyJournal`](crate::journal::FaultyJournal), a
    /// [`MemoryJournal`](phyx::journal::MemoryJournal) shared with a
    /// second test system (a restart of the OS process), or any store.
    /// Feature `journal`.
    ///
    /// # Panics
    ///
    /// As [`new`](Self::new).
    #[cfg(feature = "journal")]
    #[track_caller]
    pub fn with_journal(store: impl phyx::journal::Journal) -> Self {
        Self::build(default_seed(), |builder| builder.journal(store))
    }

    #[track_caller]
    fn build(seed: u64, configure: impl FnOnce(phyx::SystemBuilder) -> phyx::SystemBuilder) -> Self {
        let runtime = current_thread_runtime();
        let idle = IdleProbe::new();
        paused::pause();
        let origin = paused::align();
        let clock = VirtualClock::on_tokio(runtime, origin);
        let recorder = Recorder::new(clock.origin());
        let faults = Arc::new(FaultPlan::new(clock.clone(), seed));
        let sink = recorder.clone();
        let system = configure(
            System::builder()
                .clock(clock.clone())
                .seed(seed)
                .on_event(move |event| sink.record(event))
                .fault_hook(faults.clone()),
        )
        .build();
        let requests = Arc::new(Requests::default());
        let driver = tokio::spawn(drive(clock.clone(), Grid::new(origin), idle, requests.clone()));
        Self {
            system,
            clock,
            recorder,
            faults,
            seed,
            requests,
            driver,
        }
    }

    /// The system, to spawn processes on.
    pub fn system(&self) -> &System {
        &self.system
    }

    /// The seed of this run's random draws.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The virtual clock.
    pub fn clock(&self) -> &VirtualClock {
        &self.clock
    }

    /// Virtual time since this test system started.
    pub fn elapsed(&self) -> Duration {
        self.clock.elapsed()
    }

    /// Moves virtual time forward by exactly `duration`: fires every timer
    /// that falls due, phyx's and tokio's, in deadline order, and lets every
    /// task it wakes run until idle before moving on; returns once
    /// everything is idle at the new time.
    ///
    /// ```
    /// # use phyx_testkit::TestSystem;
    /// # use std::time::Duration;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let t = TestSystem::new();
    /// let start = tokio::time::Instant::now();
    /// let nap = tokio::spawn(tokio::time::sleep(Duration::from_secs(3600)));
    /// t.advance(Duration::from_secs(3599)).await;
    /// assert!(!nap.is_finished());
    /// t.advance(Duration::from_secs(1)).await;
    /// assert!(nap.is_finished());
    /// assert_eq!(start.elapsed(), Duration::from_secs(3600)); // tokio's clock
    /// assert_eq!(t.elapsed(), Duration::from_secs(3600)); // phyx's: the same
    /// # }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Dropped before it returns (by a `tokio::time::timeout` around it,
    /// say, which fires on the way), it leaves time where it had got to.
    ///
    /// # Panics
    ///
    /// If the runtime is shutting down.
    pub async fn advance(&self, duration: Duration) {
        let target = self.clock.now() + duration;
        self.requests.reach(Goal::Until(target)).await;
    }

    /// Runs until no process has work and no timer is due now, without
    /// moving virtual time.
    ///
    /// ```
    /// # use phyx::prelude::*;
    /// # use phyx_testkit::TestSystem;
    /// # #[derive(Default)] struct Log { lines: Vec<String> }
    /// # #[process] impl Log {
    /// #     #[public] fn write(&mut self, line: String) { self.lines.push(line); }
    /// #     #[public] fn lines(&self) -> usize { self.lines.len() }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let t = TestSystem::new();
    /// let log = t.system().spawn(Log::default);
    /// log.write("a".into()).send().unwrap();
    /// log.write("b".into()).send().unwrap();
    /// t.settle().await; // both tells handled, no time passed
    /// assert_eq!(log.queued(), 0);
    /// # }
    /// ```
    ///
    /// A task that never waits (a busy loop that only yields) keeps this
    /// from returning; work tokio cannot see (a thread of your own) is
    /// not waited for. Neither clock moves: a tokio timer not yet due
    /// stays waiting.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping it changes nothing.
    ///
    /// # Panics
    ///
    /// If the runtime is shutting down.
    pub async fn settle(&self) {
        self.requests.reach(Goal::Settle).await;
    }

    /// Every event recorded so far.
    ///
    /// ```
    /// # use phyx::prelude::*;
    /// # use phyx_testkit::TestSystem;
    /// # use std::time::Duration;
    /// # struct Fragile;
    /// # #[process] impl Fragile { #[public] fn poke(&self) { panic!("ouch") } }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let t = TestSystem::new();
    /// let fragile = t.system().spawn(|| Fragile);
    /// fragile.poke().await.unwrap_err();
    /// let events = t.events();
    /// events.assert_panicked("Fragile", "ouch", Duration::ZERO);
    /// assert_eq!(events.restarts_of("Fragile")[0].delay, Duration::from_millis(100));
    /// events.assert_none("restart limit", |kind| matches!(kind, phyx::event::EventKind::RestartLimitReached { .. }));
    /// # }
    /// ```
    pub fn events(&self) -> Events {
        self.recorder.snapshot()
    }

    /// Stops every process, as [`System::shutdown`], and lets the system
    /// settle.
    ///
    /// Shutdown timeouts run on virtual time, which jumps ahead while
    /// everything waits on them.
    pub async fn shutdown(&self) {
        self.system.shutdown().await;
        self.settle().await;
    }

    /// Injects a fault into calls of `method` on the process behind
    /// `handle`, from now on; say which calls and what happens next:
    ///
    /// ```
    /// # use phyx::prelude::*;
    /// # use phyx_testkit::TestSystem;
    /// # #[derive(Default)] struct Worker;
    /// # #[process] impl Worker { #[public] fn work(&self) -> u32 { 1 } }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let t = TestSystem::new();
    /// let worker = t.system().spawn(Worker::default);
    /// t.inject(&worker, "work").nth(2).panic("disk full");
    /// assert!(worker.work().await.is_ok());
    /// assert!(matches!(worker.work().await, Err(phyx::CallError::Panicked { .. })));
    /// # }
    /// ```
    ///
    /// # Panics
    ///
    /// If the process has no `#[public]` method named `method`.
    #[track_caller]
    pub fn inject<H: Handle>(&self, handle: &H, method: &str) -> Injection<'_> {
        let methods = <H::Message as Message>::METHODS;
        let Some(method) = methods.iter().copied().find(|known| *known == method) else {
            panic!(
                "`{}` has no `#[public]` method `{method}`; its methods are: {}",
                handle.name(),
                methods.join(", ")
            );
        };
        Injection {
            faults: &self.faults,
            process: handle.id(),
            method,
            when: When::Nth(1),
        }
    }

    /// Crashes the process behind `handle` as if a handler had panicked
    /// with `message`: at once if it is waiting for a message, else when its
    /// current message is handled. It restarts by its policy.
    ///
    /// ```
    /// # use phyx::prelude::*;
    /// # use phyx_testkit::TestSystem;
    /// # #[derive(Default)] struct Counter { n: u32 }
    /// # #[process] impl Counter {
    /// #     #[public] fn bump(&mut self) -> u32 { self.n += 1; self.n }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let t = TestSystem::new();
    /// let counter = t.system().spawn(Counter::default);
    /// counter.bump().await.unwrap();
    /// t.crash(&counter, "power cut");
    /// assert_eq!(counter.bump().await.unwrap(), 1); // a fresh instance
    /// # }
    /// ```
    pub fn crash<H: Handle>(&self, handle: &H, message: &str) {
        phyx::testing::crash(handle, message);
    }

    /// Stalls the process behind `handle`: it takes at most one more
    /// message and holds it, unhandled, until the returned guard is
    /// released or dropped. Its mailbox fills meanwhile.
    ///
    /// ```
    /// # use phyx::prelude::*;
    /// # use phyx_testkit::TestSystem;
    /// # struct Sink;
    /// # #[process(mailbox = 8, overflow = reject)] impl Sink { #[public] fn put(&self) {} }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let t = TestSystem::new();
    /// let sink = t.system().spawn(|| Sink);
    /// let stall = t.stall(&sink);
    /// assert_eq!(t.fill(&sink, |sink| sink.put()), 8);
    /// assert!(sink.put().send().is_err()); // full
    /// stall.release();
    /// t.settle().await;
    /// assert_eq!(sink.queued(), 0);
    /// # }
    /// ```
    pub fn stall<H: Handle>(&self, handle: &H) -> Stall {
        let gate = Arc::new(Semaphore::new(0));
        self.faults
            .add(handle.id(), None, When::Every, Action::Stall(gate.clone()));
        Stall {
            faults: self.faults.clone(),
            gate,
        }
    }

    /// Tells `call(handle)` until the mailbox refuses one or stops
    /// growing (under drop-oldest); returns how many were queued.
    pub fn fill<H: Handle, R: Send + 'static>(&self, handle: &H, call: impl Fn(&H) -> Call<R, H>) -> usize {
        let mut sent = 0;
        loop {
            let before = handle.queued();
            if call(handle).send().is_err() || handle.queued() <= before {
                return sent;
            }
            sent += 1;
        }
    }
}

impl Default for TestSystem {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for TestSystem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestSystem")
            .field("seed", &self.seed)
            .field("elapsed", &self.elapsed())
            .finish_non_exhaustive()
    }
}

impl Drop for TestSystem {
    fn drop(&mut self) {
        self.driver.abort();
        if std::thread::panicking() {
            let report = FailureReport {
                seed: self.seed,
                elapsed: self.elapsed(),
                events: &self.events(),
                show: Show::from_env(),
            };
            eprint!("{report}");
        }
    }
}

/// The current runtime, checked to be one whose clock can be paused.
#[track_caller]
fn current_thread_runtime() -> tokio::runtime::Handle {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        panic!("TestSystem must be made inside a tokio runtime: use it in a `#[tokio::test]`");
    };
    assert!(
        runtime.runtime_flavor() == RuntimeFlavor::CurrentThread,
        "TestSystem needs tokio's current-thread runtime: use `#[tokio::test]` without `flavor = \"multi_thread\"`"
    );
    runtime
}
