//! Real-time stress on tokio's multi-thread runtime (two workers) with a
//! plain `phyx::System`: under load, nothing is lost and every caller gets
//! an answer. No timing assertions; the throughput is printed (`cargo test
//! -p phyx-tests --test stress -- --nocapture`).
//!
//! Sizes: [`MESSAGES`] is 1,000,000 in release builds and 100,000 in debug
//! builds (`cfg!(debug_assertions)`), where phyx is ~10x slower, so that a
//! plain `cargo test` stays quick.
//!
//! Each test ends within [`HANG_GUARD`] of real time or fails: not a
//! timing assertion, a way to turn a hang into a failure.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::time::{Duration, Instant};

use phyx::prelude::*;
use phyx::{Backoff, CallError, Overflow, SendError, SpawnOptions, Status, event::EventKind};
use tokio::task::JoinSet;

/// Messages per test: 1,000,000 in release, 100,000 in debug builds.
const MESSAGES: u64 = if cfg!(debug_assertions) { 100_000 } else { 1_000_000 };
const SENDERS: u64 = 8;
/// Asks each sender keeps in flight.
const IN_FLIGHT: usize = 64;
const HANG_GUARD: Duration = Duration::from_secs(300);

/// SplitMix64, for the seeded choice of which calls panic.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Whether call `n` panics: a tenth of them, seeded.
fn panics(n: u64) -> bool {
    SplitMix64(0x5EED ^ n).next_u64() % 10 == 0
}

/// Counts what a process did, shared by all its instances.
#[derive(Default)]
struct Counts {
    asks: AtomicU64,
    tells: AtomicU64,
}

/// Travels with each tell: consumed by the handler, or counted as lost
/// (and whether the process was stopping then) when destroyed unhandled.
struct Token {
    ledger: Arc<Ledger>,
    consumed: AtomicBool,
}

#[derive(Default)]
struct Ledger {
    handled: AtomicU64,
    lost_stopping: AtomicU64,
    lost_live: AtomicU64,
    /// The status of the process the tokens go to.
    status: std::sync::Mutex<Option<Box<dyn Fn() -> Status + Send + Sync>>>,
}

impl Ledger {
    fn stopping(&self) -> bool {
        let status = self.status.lock().unwrap();
        status
            .as_ref()
            .is_some_and(|status| matches!(status(), Status::Stopping | Status::Stopped))
    }
}

impl Token {
    fn new(ledger: &Arc<Ledger>) -> Self {
        Self {
            ledger: ledger.clone(),
            consumed: AtomicBool::new(false),
        }
    }

    fn consume(&self) {
        self.consumed.store(true, SeqCst);
        self.ledger.handled.fetch_add(1, SeqCst);
    }
}

impl Drop for Token {
    fn drop(&mut self) {
        if self.consumed.load(SeqCst) {
            return;
        }
        if self.ledger.stopping() {
            self.ledger.lost_stopping.fetch_add(1, SeqCst);
        } else {
            self.ledger.lost_live.fetch_add(1, SeqCst);
        }
    }
}

struct Worker {
    counts: Arc<Counts>,
}

#[process]
impl Worker {
    /// Replies `2n + 1`, or panics when told to.
    #[public]
    fn call(&mut self, n: u64, panic: bool) -> u64 {
        self.counts.asks.fetch_add(1, SeqCst);
        if panic {
            panic!("stress: call {n} panics");
        }
        2 * n + 1
    }

    #[public]
    fn tell(&mut self, token: Token) {
        token.consume();
        self.counts.tells.fetch_add(1, SeqCst);
    }
}

fn worker(system: &System, options: SpawnOptions) -> (WorkerRef, Arc<Counts>) {
    let counts = Arc::new(Counts::default());
    let factory = {
        let counts = counts.clone();
        move || Worker { counts: counts.clone() }
    };
    (system.spawn_with(factory, options), counts)
}

/// Tokens sent to `handle` report its status when lost.
fn ledger_of(handle: &WorkerRef) -> Arc<Ledger> {
    let ledger = Arc::new(Ledger::default());
    let probe = handle.clone();
    *ledger.status.lock().unwrap() = Some(Box::new(move || probe.status()));
    ledger
}

fn rate(messages: u64, elapsed: Duration) -> String {
    format!("{:.2} M msg/s", messages as f64 / elapsed.as_secs_f64() / 1e6)
}

async fn guarded<T>(what: &str, future: impl std::future::Future<Output = T>) -> T {
    match tokio::time::timeout(HANG_GUARD, future).await {
        Ok(output) => output,
        Err(_) => panic!("{what}: not finished after {HANG_GUARD:?} of real time (a hang)"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_panicking_on_a_tenth_of_its_calls_loses_none() {
    // Deliberate panics, thousands of them: caught by phyx, kept off stderr.
    phyx::hide_caught_panics();
    let system = System::new();
    let options = SpawnOptions::new()
        .mailbox(1024)
        .backoff(Backoff::none())
        .max_restarts(u32::MAX, Duration::from_secs(1));
    let (worker, counts) = worker(&system, options);
    let started = Instant::now();
    let mut senders = JoinSet::new();
    for sender in 0..SENDERS {
        let worker = worker.clone();
        senders.spawn(async move {
            let (mut replies, mut panicked, mut wrong) = (0u64, 0u64, Vec::new());
            let mut in_flight = JoinSet::new();
            let mut settle = |result: Result<(u64, bool, Result<u64, CallError>), _>| {
                let (n, panic, reply) = result.expect("an ask task");
                match reply {
                    Ok(value) if !panic && value == 2 * n + 1 => replies += 1,
                    Err(CallError::Panicked { .. }) if panic => panicked += 1,
                    other => wrong.push(format!("call {n} (panics: {panic}): {other:?}")),
                }
            };
            for n in (sender..MESSAGES).step_by(SENDERS as usize) {
                if in_flight.len() >= IN_FLIGHT {
                    settle(in_flight.join_next().await.expect("a task in flight"));
                }
                let call = worker.call(n, panics(n));
                in_flight.spawn(async move { (n, panics(n), call.await) });
            }
            while let Some(result) = in_flight.join_next().await {
                settle(result);
            }
            (replies, panicked, wrong)
        });
    }
    let (mut replies, mut panicked) = (0, 0);
    let results = guarded("the senders", senders.join_all()).await;
    let elapsed = started.elapsed();
    for (sender_replies, sender_panicked, wrong) in results {
        assert!(wrong.is_empty(), "wrong outcomes: {wrong:?}");
        replies += sender_replies;
        panicked += sender_panicked;
    }
    let expected_panics = (0..MESSAGES).filter(|&n| panics(n)).count() as u64;
    eprintln!(
        "{MESSAGES} asks from {SENDERS} senders, {expected_panics} of them panicking: {elapsed:.2?}, {}",
        rate(MESSAGES, elapsed)
    );
    assert_eq!(panicked, expected_panics, "every panicking call got Panicked");
    assert_eq!(replies, MESSAGES - expected_panics, "every other call got its reply");
    assert_eq!(counts.asks.load(SeqCst), MESSAGES, "every call was handled once");
    assert_eq!(worker.status(), Status::Running);
    guarded("shutdown", system.shutdown()).await;
    assert_eq!(worker.status(), Status::Stopped);
}

/// What one sender saw while the system shut down under it.
#[derive(Debug, Default)]
struct Pending {
    answered: u64,
    stopped: u64,
    accepted: u64,
    refused: u64,
    wrong: Vec<String>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_under_load_answers_every_pending_caller() {
    let system = System::new();
    let (worker, counts) = worker(
        &system,
        SpawnOptions::new().mailbox(64).shutdown_timeout(Duration::from_secs(1)),
    );
    let ledger = ledger_of(&worker);
    let started = Instant::now();
    let mut senders = JoinSet::new();
    for sender in 0..SENDERS {
        let (worker, ledger) = (worker.clone(), ledger.clone());
        senders.spawn(async move {
            let mut seen = Pending::default();
            let mut in_flight = JoinSet::new();
            let settle = |seen: &mut Pending, n: u64, reply: Result<u64, CallError>| match reply {
                Ok(value) if value == 2 * n + 1 => seen.answered += 1,
                Err(CallError::Stopped { .. }) => seen.stopped += 1,
                other => seen.wrong.push(format!("sender {sender}, ask {n}: {other:?}")),
            };
            // Until the first Stopped: a tell (waiting for room) every
            // fourth message, else an ask, `IN_FLIGHT` of them pending.
            for n in 1.. {
                if n % 4 == 0 {
                    match worker.tell(Token::new(&ledger)).send_wait().await {
                        Ok(()) => seen.accepted += 1,
                        Err(SendError::Stopped { .. }) => {
                            seen.refused += 1;
                            break;
                        }
                        Err(other) => seen.wrong.push(format!("sender {sender}, tell {n}: {other:?}")),
                    }
                    continue;
                }
                if in_flight.len() >= IN_FLIGHT {
                    let (done, reply) = in_flight
                        .join_next()
                        .await
                        .expect("an ask in flight")
                        .expect("an ask task");
                    settle(&mut seen, done, reply);
                    if seen.stopped > 0 {
                        break;
                    }
                }
                let call = worker.call(n, false);
                in_flight.spawn(async move { (n, call.await) });
            }
            while let Some(result) = in_flight.join_next().await {
                let (n, reply) = result.expect("an ask task");
                settle(&mut seen, n, reply);
            }
            seen
        });
    }
    // Hammering: shut down once the worker has handled a good share.
    while counts.asks.load(SeqCst) + counts.tells.load(SeqCst) < MESSAGES / 2 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    guarded("shutdown under load", system.shutdown()).await;
    let results = guarded("the senders after shutdown", senders.join_all()).await;
    let elapsed = started.elapsed();
    let mut seen = Pending::default();
    for sender in results {
        assert!(sender.wrong.is_empty(), "wrong outcomes: {:?}", sender.wrong);
        assert!(sender.stopped + sender.refused >= 1, "each sender ends on a Stopped");
        seen.answered += sender.answered;
        seen.stopped += sender.stopped;
        seen.accepted += sender.accepted;
        seen.refused += sender.refused;
    }
    let Pending {
        answered,
        stopped,
        accepted,
        refused,
        ..
    } = seen;
    let handled = counts.asks.load(SeqCst) + counts.tells.load(SeqCst);
    eprintln!(
        "shutdown under load from {SENDERS} senders: {handled} messages handled in {elapsed:.2?}, {}; \
         {stopped} pending asks answered Stopped",
        rate(handled, elapsed)
    );
    assert_eq!(worker.status(), Status::Stopped);
    assert_eq!(
        answered,
        counts.asks.load(SeqCst),
        "every handled ask's caller got the reply"
    );
    let (tells, lost_stopping, lost_live) = (
        ledger.handled.load(SeqCst),
        ledger.lost_stopping.load(SeqCst),
        ledger.lost_live.load(SeqCst),
    );
    assert_eq!(tells, counts.tells.load(SeqCst));
    assert_eq!(lost_live, 0, "no tell lost while the worker was live");
    // A refused tell's token is destroyed at once, the worker stopped.
    assert_eq!(
        accepted + refused,
        tells + lost_stopping,
        "every accepted tell was handled or dropped by the stop"
    );
}

/// Counts drop and reject events, per method kind.
#[derive(Default)]
struct Refusals {
    tells_dropped: AtomicU64,
    tells_rejected: AtomicU64,
    asks_dropped: AtomicU64,
    asks_rejected: AtomicU64,
}

impl Refusals {
    fn record(&self, kind: &EventKind) {
        let counter = match kind {
            EventKind::MessageDropped { method: "tell" } => &self.tells_dropped,
            EventKind::MessageRejected { method: "tell" } => &self.tells_rejected,
            EventKind::MessageDropped { method: "call" } => &self.asks_dropped,
            EventKind::MessageRejected { method: "call" } => &self.asks_rejected,
            _ => return,
        };
        counter.fetch_add(1, SeqCst);
    }
}

/// What eight senders saw.
#[derive(Debug, Default)]
struct Seen {
    tells: u64,
    tells_accepted: u64,
    tells_refused: u64,
    asks: u64,
    replies: u64,
    asks_refused: u64,
    asks_dropped: u64,
}

async fn hammer(policy: Overflow) {
    let refusals = Arc::new(Refusals::default());
    let system = {
        let refusals = refusals.clone();
        System::builder()
            .on_event(move |event| refusals.record(&event.kind))
            .build()
    };
    let (worker, counts) = worker(&system, SpawnOptions::new().mailbox(16).overflow(policy));
    let ledger = ledger_of(&worker);
    let per_sender = MESSAGES / SENDERS;
    let started = Instant::now();
    let mut senders = JoinSet::new();
    for sender in 0..SENDERS {
        let (worker, ledger) = (worker.clone(), ledger.clone());
        senders.spawn(async move {
            let mut seen = Seen::default();
            let mut wrong = Vec::new();
            for i in 0..per_sender {
                let n = sender * per_sender + i;
                if i % 16 == 15 {
                    seen.asks += 1;
                    match worker.call(n, false).await {
                        Ok(value) if value == 2 * n + 1 => seen.replies += 1,
                        Err(CallError::MailboxFull { .. }) if policy == Overflow::Reject => seen.asks_refused += 1,
                        Err(CallError::Dropped { .. }) if policy == Overflow::DropOldest => seen.asks_dropped += 1,
                        other => wrong.push(format!("{policy:?}: ask {n}: {other:?}")),
                    }
                    continue;
                }
                seen.tells += 1;
                // Under backpressure, half wait for room and half do not.
                let sent = if policy == Overflow::Backpressure && i % 2 == 0 {
                    worker.tell(Token::new(&ledger)).send_wait().await
                } else {
                    let sent = worker.tell(Token::new(&ledger)).send();
                    if sent.is_err() {
                        // Let the worker make room instead of spinning.
                        tokio::task::yield_now().await;
                    }
                    sent
                };
                match sent {
                    Ok(()) => seen.tells_accepted += 1,
                    Err(SendError::MailboxFull { .. }) if policy != Overflow::DropOldest => seen.tells_refused += 1,
                    Err(other) => wrong.push(format!("{policy:?}: tell {n}: {other:?}")),
                }
            }
            (seen, wrong)
        });
    }
    let mut seen = Seen::default();
    for (sender_seen, wrong) in guarded("the senders", senders.join_all()).await {
        assert!(wrong.is_empty(), "wrong outcomes: {wrong:?}");
        seen.tells += sender_seen.tells;
        seen.tells_accepted += sender_seen.tells_accepted;
        seen.tells_refused += sender_seen.tells_refused;
        seen.asks += sender_seen.asks;
        seen.replies += sender_seen.replies;
        seen.asks_refused += sender_seen.asks_refused;
        seen.asks_dropped += sender_seen.asks_dropped;
    }
    // A last ask behind everything accepted: once it is answered, the
    // mailbox has been worked through.
    let barrier = guarded("the barrier", async {
        let mut refused = 0;
        loop {
            match worker.call(u64::MAX / 4, false).await {
                Ok(_) => return refused,
                Err(CallError::MailboxFull { .. }) => {
                    refused += 1;
                    tokio::task::yield_now().await;
                }
                Err(other) => panic!("{policy:?}: the barrier ask: {other:?}"),
            }
        }
    })
    .await;
    let elapsed = started.elapsed();
    let [tells_dropped, tells_rejected, asks_dropped, asks_rejected] = [
        &refusals.tells_dropped,
        &refusals.tells_rejected,
        &refusals.asks_dropped,
        &refusals.asks_rejected,
    ]
    .map(|counter| counter.load(SeqCst));
    eprintln!(
        "{policy:?} under {SENDERS} senders: {MESSAGES} messages in {elapsed:.2?}, {}; {seen:?}; \
         events: {tells_dropped} tells dropped, {tells_rejected} rejected, {asks_dropped} asks dropped, \
         {asks_rejected} rejected",
        rate(MESSAGES, elapsed)
    );
    let handled = counts.tells.load(SeqCst);
    assert_eq!(seen.tells, seen.tells_accepted + seen.tells_refused);
    assert_eq!(ledger.handled.load(SeqCst), handled);
    assert_eq!(ledger.lost_stopping.load(SeqCst), 0, "nothing stopped");
    assert_eq!(
        seen.tells_accepted,
        handled + tells_dropped,
        "every accepted tell was handled or dropped, with an event"
    );
    // Tokens destroyed unhandled: the dropped tells, and the refused ones.
    assert_eq!(ledger.lost_live.load(SeqCst), tells_dropped + seen.tells_refused);
    assert_eq!(seen.tells_refused, tells_rejected, "each refused tell is an event");
    assert_eq!(seen.asks, seen.replies + seen.asks_refused + seen.asks_dropped);
    assert_eq!(seen.asks_dropped, asks_dropped, "each dropped ask is an event");
    assert_eq!(
        seen.asks_refused + barrier,
        asks_rejected,
        "each refused ask is an event"
    );
    assert_eq!(
        counts.asks.load(SeqCst),
        seen.replies + 1,
        "every answered ask was handled once, and no other"
    );
    match policy {
        Overflow::Reject => assert_eq!(tells_dropped + asks_dropped, 0),
        Overflow::DropOldest => {
            assert_eq!(seen.tells_refused + seen.asks_refused + barrier, 0);
            assert_eq!(seen.tells_accepted, seen.tells);
        }
        _ => assert_eq!(tells_dropped + asks_dropped + seen.asks_refused + barrier, 0),
    }
    guarded("shutdown", system.shutdown()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_overflow_policy_accounts_for_eight_concurrent_senders() {
    for policy in [Overflow::Reject, Overflow::DropOldest, Overflow::Backpressure] {
        hammer(policy).await;
    }
}
