//! `#[cache]`: replies kept at the caller, on virtual time.

use std::collections::HashMap;
use std::future::{Future, IntoFuture};
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::task::{Context, Waker};
use std::time::Duration;

use phyx::CallError;
use phyx::prelude::*;
use phyx_testkit::TestSystem;

const MS: Duration = Duration::from_millis(1);
const SECOND: Duration = Duration::from_secs(1);

/// Counts the handlers that ran, outside the state: a restart keeps it.
#[derive(Default, Clone)]
struct Runs(Arc<AtomicU32>);

impl Runs {
    fn bump(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }

    fn get(&self) -> u32 {
        self.0.load(Ordering::SeqCst)
    }
}

type Parsed = Result<u64, String>;

#[derive(Default)]
struct Prices {
    by_item: HashMap<String, u64>,
    runs: Runs,
}

#[process]
impl Prices {
    #[public]
    #[cache(ttl = "30s", invalidated_by = [set, clear])]
    fn price(&self, item: String) -> Option<u64> {
        self.runs.bump();
        self.by_item.get(&item).copied()
    }

    #[public]
    #[cache(ttl = "30s", capacity = 2)]
    fn double(&self, a: u32, b: String) -> String {
        self.runs.bump();
        format!("{a}{b}{a}{b}")
    }

    /// An alias of `Result` is a `Result`: its `Err`s are not kept.
    #[public]
    #[cache(ttl = "10s")]
    fn parse(&self, text: String) -> Parsed {
        self.runs.bump();
        text.parse().map_err(|_| format!("`{text}` is not a number"))
    }

    #[public]
    #[cache(ttl = "10s", errors)]
    fn parse_remembering_errors(&self, text: String) -> Result<u64, String> {
        self.runs.bump();
        text.parse().map_err(|_| format!("`{text}` is not a number"))
    }

    #[public]
    #[cache(ttl = "10s")]
    fn explode(&self, times: u32) -> u32 {
        self.runs.bump();
        if times > 0 {
            panic!("boom");
        }
        times
    }

    #[public]
    #[cache(ttl = "1m")]
    fn total(&self) -> u64 {
        self.runs.bump();
        self.by_item.values().sum()
    }

    #[public]
    fn set(&mut self, item: String, cents: u64) {
        self.by_item.insert(item, cents);
    }

    #[public]
    fn clear(&mut self) {
        self.by_item.clear();
    }

    #[public]
    fn crash(&mut self) {
        panic!("crashed on purpose");
    }
}

fn prices(t: &TestSystem, runs: &Runs, items: &[(&str, u64)]) -> PricesRef {
    let (runs, items): (Runs, Vec<(String, u64)>) = (
        runs.clone(),
        items.iter().map(|(item, cents)| ((*item).into(), *cents)).collect(),
    );
    t.system().spawn(move || Prices {
        by_item: items.iter().cloned().collect(),
        runs: runs.clone(),
    })
}

#[tokio::test]
async fn a_hit_is_answered_without_a_message() {
    let t = TestSystem::new();
    let runs = Runs::default();
    let prices = prices(&t, &runs, &[("tea", 250)]);
    assert_eq!(prices.price("tea".into()).await, Ok(Some(250)));
    assert_eq!(runs.get(), 1);
    // Stalled, the process handles nothing: only the cache can answer.
    let stall = t.stall(&prices);
    assert_eq!(prices.price("tea".into()).await, Ok(Some(250)));
    assert_eq!(prices.queued(), 0, "the hit sent no message");
    assert_eq!(runs.get(), 1, "and ran no handler");
    stall.release();
    assert_eq!(prices.price("coffee".into()).await, Ok(None), "another key misses");
    assert_eq!(runs.get(), 2);
}

#[tokio::test]
async fn a_reply_stays_fresh_for_its_ttl_on_the_system_clock() {
    let t = TestSystem::new();
    let runs = Runs::default();
    let prices = prices(&t, &runs, &[("tea", 250)]);
    prices.price("tea".into()).await.unwrap();
    t.advance(30 * SECOND - MS).await;
    prices.price("tea".into()).await.unwrap();
    assert_eq!(runs.get(), 1, "fresh until its ttl");
    t.advance(MS).await;
    prices.price("tea".into()).await.unwrap();
    assert_eq!(runs.get(), 2, "stale at its ttl: asked again");
    prices.price("tea".into()).await.unwrap();
    assert_eq!(runs.get(), 2, "and kept again");
}

#[tokio::test]
async fn a_method_named_in_invalidated_by_empties_the_cache_before_it_runs() {
    let t = TestSystem::new();
    let runs = Runs::default();
    let prices = prices(&t, &runs, &[("tea", 250)]);
    assert_eq!(prices.price("tea".into()).await, Ok(Some(250)));
    prices.set("tea".into(), 300).await.unwrap();
    assert_eq!(
        prices.price("tea".into()).await,
        Ok(Some(300)),
        "set's caller sees what set did"
    );
    prices.clear().send().unwrap();
    t.settle().await;
    assert_eq!(prices.price("tea".into()).await, Ok(None), "a tell invalidates too");
    assert_eq!(runs.get(), 3);
}

#[tokio::test]
async fn a_reply_computed_before_an_invalidation_is_not_kept_after_it() {
    let t = TestSystem::new();
    let runs = Runs::default();
    let prices = prices(&t, &runs, &[("tea", 250)]);
    // Send the ask (one poll queues it) but do not take its reply yet.
    let mut early = pin!(prices.price("tea".into()).into_future());
    let mut cx = Context::from_waker(Waker::noop());
    assert!(early.as_mut().poll(&mut cx).is_pending());
    // The process answers it with 250, then handles `set`.
    prices.set("tea".into(), 300).await.unwrap();
    assert_eq!(early.await, Ok(Some(250)), "its caller gets the reply of its time");
    assert_eq!(
        prices.price("tea".into()).await,
        Ok(Some(300)),
        "but the cache did not keep it past the `set`"
    );
}

#[tokio::test]
async fn a_restart_empties_the_cache() {
    let t = TestSystem::new();
    let runs = Runs::default();
    let prices = prices(&t, &runs, &[("tea", 250)]);
    prices.set("coffee".into(), 400).await.unwrap();
    assert_eq!(prices.total().await, Ok(650));
    assert!(matches!(prices.crash().await, Err(CallError::Panicked { .. })));
    t.settle().await;
    assert_eq!(
        prices.total().await,
        Ok(250),
        "the fresh state's answer, not the cached one"
    );
    assert_eq!(runs.get(), 2);
}

#[tokio::test]
async fn only_ok_replies_are_kept_unless_the_method_says_errors() {
    let t = TestSystem::new();
    let runs = Runs::default();
    let prices = prices(&t, &runs, &[]);
    assert_eq!(prices.parse("12".into()).await, Ok(Ok(12)));
    assert_eq!(prices.parse("12".into()).await, Ok(Ok(12)));
    assert_eq!(runs.get(), 1, "an Ok reply is kept");
    for _ in 0..2 {
        assert!(matches!(prices.parse("x".into()).await, Ok(Err(_))));
    }
    assert_eq!(runs.get(), 3, "an Err reply is not");
    for _ in 0..2 {
        assert!(matches!(prices.parse_remembering_errors("x".into()).await, Ok(Err(_))));
    }
    assert_eq!(runs.get(), 4, "unless the method says `errors`");
}

#[tokio::test]
async fn a_call_error_is_never_kept() {
    let t = TestSystem::new();
    let runs = Runs::default();
    let prices = prices(&t, &runs, &[]);
    assert!(matches!(prices.explode(1).await, Err(CallError::Panicked { .. })));
    t.settle().await;
    assert!(matches!(prices.explode(1).await, Err(CallError::Panicked { .. })));
    assert_eq!(runs.get(), 2, "each call reached the handler");
}

#[tokio::test]
async fn the_cache_keeps_at_most_its_capacity_dropping_the_oldest() {
    let t = TestSystem::new();
    let runs = Runs::default();
    let prices = prices(&t, &runs, &[]);
    for key in 0..3 {
        assert_eq!(prices.double(key, "x".into()).await, Ok(format!("{key}x{key}x")));
    }
    assert_eq!(runs.get(), 3);
    prices.double(2, "x".into()).await.unwrap();
    prices.double(1, "x".into()).await.unwrap();
    assert_eq!(runs.get(), 3, "the two newest are kept");
    prices.double(0, "x".into()).await.unwrap();
    assert_eq!(runs.get(), 4, "the oldest went to make room");
    prices.double(0, "y".into()).await.unwrap();
    assert_eq!(runs.get(), 5, "every argument is part of the key");
}

#[tokio::test]
async fn every_handle_of_the_process_shares_one_cache() {
    let t = TestSystem::new();
    let runs = Runs::default();
    let prices = prices(&t, &runs, &[("tea", 250)]);
    t.system().register("prices", &prices).await.unwrap();
    prices.price("tea".into()).await.unwrap();
    let clone = prices.clone();
    let found: PricesRef = t.system().lookup("prices").await.unwrap();
    assert_eq!(clone.price("tea".into()).await, Ok(Some(250)));
    assert_eq!(found.price("tea".into()).await, Ok(Some(250)));
    assert_eq!(runs.get(), 1);
    let other = self::prices(&t, &runs, &[("tea", 1)]);
    assert_eq!(
        other.price("tea".into()).await,
        Ok(Some(1)),
        "another process has its own"
    );
}

#[tokio::test]
async fn a_tell_of_a_cached_method_is_always_sent() {
    let t = TestSystem::new();
    let runs = Runs::default();
    let prices = prices(&t, &runs, &[("tea", 250)]);
    prices.price("tea".into()).await.unwrap();
    prices.price("tea".into()).send().unwrap();
    t.settle().await;
    assert_eq!(runs.get(), 2);
}

#[tokio::test]
async fn a_process_stopped_for_good_answers_nothing_from_its_cache() {
    let t = TestSystem::new();
    let runs = Runs::default();
    let prices = prices(&t, &runs, &[("tea", 250)]);
    prices.price("tea".into()).await.unwrap();
    prices.stop().await;
    assert!(matches!(
        prices.price("tea".into()).await,
        Err(CallError::Stopped { .. })
    ));
}

#[tokio::test]
async fn a_method_without_arguments_is_cached_under_one_key() {
    let t = TestSystem::new();
    let runs = Runs::default();
    let prices = prices(&t, &runs, &[("tea", 250)]);
    assert_eq!(prices.total().await, Ok(250));
    assert_eq!(prices.total().await, Ok(250));
    assert_eq!(runs.get(), 1);
    // Not invalidated by `set`: `total` did not name it.
    prices.set("coffee".into(), 400).await.unwrap();
    assert_eq!(prices.total().await, Ok(250), "stale until its ttl, as declared");
    t.advance(Duration::from_secs(60)).await;
    assert_eq!(prices.total().await, Ok(650));
}

/// A seeded soak: random asks, sets and clock steps against a model of
/// what a cache with this ttl may answer. Every reply is either what the
/// process holds now, or what it held within the ttl and no invalidation
/// since.
#[tokio::test]
async fn a_soak_of_calls_sets_and_time_never_serves_a_reply_older_than_the_rules_allow() {
    for seed in 0..8_u64 {
        let t = TestSystem::with_seed(seed);
        let runs = Runs::default();
        let prices = prices(&t, &runs, &[]);
        let mut rng = phyx::testing::SplitMix64::new(seed);
        let mut truth: HashMap<String, u64> = HashMap::new();
        for _ in 0..400 {
            let item = format!("item{}", rng.next_u64() % 4);
            match rng.next_u64() % 3 {
                0 => {
                    let cents = rng.next_u64() % 1000;
                    prices.set(item.clone(), cents).await.unwrap();
                    truth.insert(item, cents);
                }
                1 => {
                    // With `invalidated_by = set`, every reply is the truth.
                    let got = prices.price(item.clone()).await.unwrap();
                    assert_eq!(got, truth.get(&item).copied(), "seed {seed}");
                }
                _ => t.advance(Duration::from_secs(rng.next_u64() % 20)).await,
            }
        }
    }
}
