//! A seeded randomized soak of `#[idempotent]` on virtual time: asks and
//! tells with few keys, racing, to a handler that sleeps and one that
//! replies later from a task; first calls that panic or drop their reply;
//! crashes in another method; time moving past the window and not.
//!
//! Checked against the handlers' own record of their runs:
//!
//! - runs of one key (of one method) never overlap, and after one that
//!   replied, the next starts no sooner than its window's end: each key's
//!   handler ran once per window;
//! - every ask got an `Ok` reply from a run of its key that had replied by
//!   the time the ask did, and that ended less than a window before the
//!   ask was sent; or, only where a run of its key failed while the ask
//!   was out, that run's error;
//! - every ask ends, and a crash in another method fails only its own
//!   caller.
//!
//! `PHYX_IDEMPOTENT_SEED=<n>` runs one seed; a failure names its seed.

#[path = "soak/rng.rs"]
mod rng;

use std::collections::HashMap;
use std::future::IntoFuture;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use phyx::prelude::*;
use phyx::{CallError, Reply};
use phyx_testkit::TestSystem;
use rng::SplitMix64;
use tokio::time::Instant;

const WINDOW: Duration = Duration::from_secs(60);
const SEEDS: u64 = 40;
const OPS: usize = 80;
const KEYS: u32 = 4;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Method {
    Work,
    Later,
}

/// What the first call with a key does, after its think time.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Fate {
    Reply,
    /// `work` panics; `later` drops its reply unsent.
    Fail,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Ended {
    Replied,
    Failed,
}

/// One run of a handler, as it recorded itself.
#[derive(Debug, Clone)]
struct Run {
    method: Method,
    key: u32,
    started: Duration,
    ended: Option<(Duration, Ended)>,
}

/// The runs, by serial number (the reply of a run that replied).
#[derive(Clone)]
struct Runs {
    origin: Instant,
    runs: Arc<Mutex<Vec<Run>>>,
}

impl Runs {
    fn now(&self) -> Duration {
        Instant::now() - self.origin
    }

    fn start(&self, method: Method, key: u32) -> u64 {
        let mut runs = self.runs.lock().unwrap_or_else(PoisonError::into_inner);
        runs.push(Run {
            method,
            key,
            started: self.now(),
            ended: None,
        });
        runs.len() as u64 - 1
    }

    fn end(&self, serial: u64, ended: Ended) {
        let now = self.now();
        self.runs.lock().unwrap_or_else(PoisonError::into_inner)[serial as usize].ended = Some((now, ended));
    }

    fn all(&self) -> Vec<Run> {
        self.runs.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

struct Soak {
    runs: Runs,
}

#[process(backoff(initial = "1ms", max = "1ms"), max_restarts = 1000, within = "1s")]
impl Soak {
    #[public]
    #[idempotent(key = key, window = "1m")]
    async fn work(&mut self, ctx: &mut Ctx<Self>, key: u32, think: Duration, fate: Fate) -> u64 {
        let serial = self.runs.start(Method::Work, key);
        ctx.sleep(think).await;
        if fate == Fate::Fail {
            self.runs.end(serial, Ended::Failed);
            panic!("run {serial} failed");
        }
        self.runs.end(serial, Ended::Replied);
        serial
    }

    #[public]
    #[idempotent(key = key, window = "1m")]
    fn later(&mut self, key: u32, think: Duration, fate: Fate, reply: Reply<u64>) {
        let serial = self.runs.start(Method::Later, key);
        let runs = self.runs.clone();
        tokio::spawn(async move {
            tokio::time::sleep(think).await;
            if fate == Fate::Fail {
                runs.end(serial, Ended::Failed);
                drop(reply);
            } else {
                runs.end(serial, Ended::Replied);
                reply.send(serial);
            }
        });
    }

    #[public]
    fn boom(&self) {
        panic!("a bug elsewhere");
    }
}

/// One ask, as its task saw it.
struct Asked {
    op: usize,
    /// `None` for `boom`.
    call: Option<(Method, u32)>,
    sent: Duration,
    outcome: Option<(Duration, Result<u64, CallError>)>,
}

type Outcomes = Arc<Mutex<Vec<Asked>>>;

fn record(outcomes: &Outcomes, op: usize, call: Option<(Method, u32)>, sent: Duration) -> usize {
    let mut outcomes = outcomes.lock().unwrap_or_else(PoisonError::into_inner);
    outcomes.push(Asked {
        op,
        call,
        sent,
        outcome: None,
    });
    outcomes.len() - 1
}

async fn soak(seed: u64) {
    let mut rng = SplitMix64(seed);
    let t = TestSystem::with_seed(seed);
    let runs = Runs {
        origin: Instant::now(),
        runs: Arc::default(),
    };
    let soak = {
        let runs = runs.clone();
        t.system().spawn(move || Soak { runs: runs.clone() })
    };
    let outcomes: Outcomes = Arc::default();
    let mut tasks = Vec::new();
    for op in 0..OPS {
        let key = rng.range(1, u64::from(KEYS)) as u32;
        let think = Duration::from_millis(rng.pick(&[0, 10, 500, 3_000, 20_000]));
        let fate = if rng.percent(15) { Fate::Fail } else { Fate::Reply };
        let method = if rng.percent(55) { Method::Work } else { Method::Later };
        let call = match method {
            Method::Work => soak.work(key, think, fate),
            Method::Later => soak.later(key, think, fate),
        };
        match rng.below(100) {
            0..60 => {
                let index = record(&outcomes, op, Some((method, key)), runs.now());
                let (outcomes, runs) = (outcomes.clone(), runs.clone());
                let ask = call.into_future();
                tasks.push(tokio::spawn(async move {
                    let outcome = ask.await;
                    outcomes.lock().unwrap_or_else(PoisonError::into_inner)[index].outcome =
                        Some((runs.now(), outcome));
                }));
            }
            60..75 => call
                .send()
                .unwrap_or_else(|error| panic!("seed {seed}, op {op}: {error}")),
            75..80 => {
                let index = record(&outcomes, op, None, runs.now());
                let (outcomes, runs) = (outcomes.clone(), runs.clone());
                let boom = soak.boom().into_future();
                tasks.push(tokio::spawn(async move {
                    let outcome = boom.await.map(|()| 0);
                    outcomes.lock().unwrap_or_else(PoisonError::into_inner)[index].outcome =
                        Some((runs.now(), outcome));
                }));
            }
            80..90 => t.settle().await,
            _ => {
                t.advance(Duration::from_millis(
                    rng.pick(&[1, 700, 15_000, 59_999, 60_000, 90_000]),
                ))
                .await
            }
        }
    }
    for _ in 0..360 {
        if tasks.iter().all(tokio::task::JoinHandle::is_finished) {
            break;
        }
        t.advance(Duration::from_secs(10)).await;
    }
    assert!(
        tasks.iter().all(tokio::task::JoinHandle::is_finished),
        "seed {seed}: an ask still waits after an hour"
    );
    check(
        seed,
        &runs.all(),
        &outcomes.lock().unwrap_or_else(PoisonError::into_inner),
    );
    t.shutdown().await;
}

fn check(seed: u64, runs: &[Run], asked: &[Asked]) {
    let mut by_key: HashMap<(Method, u32), Vec<&Run>> = HashMap::new();
    for run in runs {
        by_key.entry((run.method, run.key)).or_default().push(run);
    }
    for ((method, key), runs) in &by_key {
        for pair in runs.windows(2) {
            let (before, next) = (pair[0], pair[1]);
            let (ended, how) = before.ended.unwrap_or_else(|| panic!("seed {seed}: a run never ended"));
            assert!(
                next.started >= ended,
                "seed {seed}: two runs of {method:?} {key} overlap: {before:?}, {next:?}"
            );
            if how == Ended::Replied {
                assert!(
                    next.started >= ended + WINDOW,
                    "seed {seed}: {method:?} {key} ran again within the window: {before:?}, {next:?}"
                );
            }
        }
    }
    for ask in asked {
        let (done, outcome) = ask.outcome.as_ref().expect("every ask ended");
        let Some((method, key)) = ask.call else {
            assert!(
                matches!(outcome, Err(CallError::Panicked { .. })),
                "seed {seed}, op {}: boom got {outcome:?}",
                ask.op
            );
            continue;
        };
        let context = format!("seed {seed}, op {} ({method:?} {key}, sent at {:?})", ask.op, ask.sent);
        match outcome {
            Ok(serial) => {
                let run = &runs[*serial as usize];
                assert_eq!((run.method, run.key), (method, key), "{context}: another key's reply");
                let Some((ended, Ended::Replied)) = run.ended else {
                    panic!("{context}: a reply from a run that did not reply: {run:?}");
                };
                assert!(*done >= ended, "{context}: replied before its run did: {run:?}");
                assert!(
                    ask.sent < ended + WINDOW,
                    "{context}: a reply from past the window: {run:?}"
                );
            }
            Err(error @ (CallError::Panicked { .. } | CallError::ReplyDropped { .. })) => {
                let failed = by_key[&(method, key)].iter().any(
                    |run| matches!(run.ended, Some((ended, Ended::Failed)) if ask.sent <= ended && ended <= *done),
                );
                assert!(failed, "{context}: {error:?} with no failed run of its key meanwhile");
                let expected_later = matches!(error, CallError::ReplyDropped { .. });
                assert_eq!(expected_later, method == Method::Later, "{context}: {error:?}");
            }
            Err(error) => panic!("{context}: {error:?}"),
        }
    }
}

#[tokio::test]
async fn soak_each_key_runs_once_per_window_and_every_caller_gets_its_reply() {
    phyx::hide_caught_panics();
    if let Some(seed) = std::env::var("PHYX_IDEMPOTENT_SEED")
        .ok()
        .and_then(|seed| seed.parse().ok())
    {
        soak(seed).await;
        return;
    }
    for seed in 0..SEEDS {
        soak(seed).await;
    }
}
