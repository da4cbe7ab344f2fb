//! `#[idempotent]` in a `#[process(journal)]`, on the memory store and
//! virtual time: each reply is recorded before anyone hears it, and a new
//! system on the same journals (a restart of the OS process, as far as
//! the journals can tell) answers a retry with it, without running the
//! handler.

use std::collections::HashMap;
use std::future::IntoFuture;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use phyx::journal::{Journal, MemoryJournal};
use phyx::prelude::*;
use phyx::{CallError, Reply};
use phyx_testkit::TestSystem;
use phyx_testkit::journal::FaultyJournal;
use serde::{Deserialize, Serialize};

const WINDOW: Duration = Duration::from_secs(600);
const QUOTES: &str = "phyx/idempotent/Till/quote";

/// How many times each key's handler ran, across systems.
#[derive(Clone, Default)]
struct Runs(Arc<Mutex<HashMap<String, u32>>>);

impl Runs {
    /// Counts a run of `key`'s handler; its number.
    fn ran(&self, key: &str) -> u32 {
        let mut runs = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let count = runs.entry(key.to_owned()).or_default();
        *count += 1;
        *count
    }

    fn of(&self, key: &str) -> u32 {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(key)
            .copied()
            .unwrap_or(0)
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Charged {
    order: String,
    cents: u64,
}

struct Till {
    runs: Runs,
    total: u64,
    /// The total after each order's charge, as the journal says.
    orders: HashMap<String, u64>,
}

#[process(journal)]
impl Till {
    #[apply]
    fn apply(&mut self, charged: Charged) {
        self.total += charged.cents;
        self.orders.insert(charged.order, self.total);
    }

    #[public]
    #[idempotent(key = order, window = "10m")]
    async fn charge(&mut self, ctx: &mut Ctx<Self>, order: String, cents: u64) -> Result<u64, String> {
        self.runs.ran(&order);
        ctx.persist(self, Charged { order, cents })
            .await
            .map_err(|error| error.to_string())?;
        Ok(self.total)
    }

    /// `charge`, with the crash between its event and its record closed:
    /// the key is in the event, and an order the state has seen is
    /// answered from it.
    #[public]
    #[idempotent(key = order, window = "10m")]
    async fn charge_once(&mut self, ctx: &mut Ctx<Self>, order: String, cents: u64) -> Result<u64, String> {
        if let Some(total) = self.orders.get(&order) {
            return Ok(*total);
        }
        self.runs.ran(&order);
        ctx.persist(self, Charged { order, cents })
            .await
            .map_err(|error| error.to_string())?;
        Ok(self.total)
    }

    /// Persists nothing: its record is its one append. Replies with the
    /// number of the run.
    #[public]
    #[idempotent(key = order, window = "10m")]
    fn quote(&mut self, order: String) -> u32 {
        self.runs.ran(&order)
    }

    /// `quote`, replying later.
    #[public]
    #[idempotent(key = order, window = "10m")]
    fn quote_later(&mut self, order: String, reply: Reply<u32>) {
        reply.send(self.runs.ran(&order));
    }

    #[public]
    fn total(&self) -> u64 {
        self.total
    }
}

fn spawn_till(t: &TestSystem, runs: &Runs) -> TillRef {
    let runs = runs.clone();
    t.system().spawn(move || Till {
        runs: runs.clone(),
        total: 0,
        orders: HashMap::new(),
    })
}

#[tokio::test]
async fn a_new_system_on_the_same_journals_answers_a_retry_with_the_recorded_reply() {
    let journals = MemoryJournal::new();
    let runs = Runs::default();
    let t = TestSystem::with_journal(journals.clone());
    let first = spawn_till(&t, &runs);
    assert_eq!(first.charge("a".into(), 5).await.unwrap(), Ok(5));
    assert_eq!(first.charge("b".into(), 3).await.unwrap(), Ok(8));
    assert_eq!(first.quote_later("c".into()).await.unwrap(), 1);
    t.shutdown().await;

    let t = TestSystem::with_journal(journals.clone());
    let again = spawn_till(&t, &runs);
    assert_eq!(again.total().await.unwrap(), 8, "the events replayed");
    assert_eq!(again.charge("a".into(), 5).await.unwrap(), Ok(5), "the recorded reply");
    assert_eq!(again.quote_later("c".into()).await.unwrap(), 1);
    assert_eq!((runs.of("a"), runs.of("c")), (1, 1));
    assert_eq!(again.charge("d".into(), 1).await.unwrap(), Ok(9));
    assert_eq!(journals.len("phyx/idempotent/Till/charge"), 3);
    assert_eq!(
        journals.len("Till"),
        3,
        "the process's own journal holds its events only"
    );
}

#[tokio::test]
async fn the_reply_waits_until_its_record_is_stored() {
    let journal = FaultyJournal::new();
    let runs = Runs::default();
    let t = TestSystem::with_journal(journal.clone());
    let till = spawn_till(&t, &runs);
    assert_eq!(till.quote("q".into()).await.unwrap(), 1);

    let release = journal.hang_next_append();
    let quote = tokio::spawn(till.quote("r".into()).into_future());
    t.advance(Duration::from_secs(60)).await;
    assert!(!quote.is_finished(), "no reply before the record is stored");
    assert_eq!(journal.memory().len(QUOTES), 1);
    release.release();
    assert_eq!(quote.await.unwrap(), Ok(1));
    assert_eq!(journal.memory().len(QUOTES), 2);
}

#[tokio::test]
async fn duplicates_of_a_call_that_replies_later_wait_for_its_record_too() {
    let journal = FaultyJournal::new();
    let runs = Runs::default();
    let t = TestSystem::with_journal(journal.clone());
    let till = spawn_till(&t, &runs);
    assert_eq!(till.total().await.unwrap(), 0);

    let release = journal.hang_next_append();
    let first = tokio::spawn(till.quote_later("l".into()).into_future());
    t.settle().await;
    let duplicates: Vec<_> = (0..4)
        .map(|_| tokio::spawn(till.quote_later("l".into()).into_future()))
        .collect();
    t.advance(Duration::from_secs(60)).await;
    assert!(!first.is_finished() && duplicates.iter().all(|duplicate| !duplicate.is_finished()));
    release.release();
    assert_eq!(first.await.unwrap(), Ok(1));
    for duplicate in duplicates {
        assert_eq!(duplicate.await.unwrap(), Ok(1));
    }
    assert_eq!(runs.of("l"), 1);
    assert_eq!(journal.memory().len("phyx/idempotent/Till/quote_later"), 1);
}

#[tokio::test]
async fn a_recovered_record_counts_as_seen_when_it_was_read() {
    let journals = MemoryJournal::new();
    let runs = Runs::default();
    let t = TestSystem::with_journal(journals.clone());
    assert_eq!(spawn_till(&t, &runs).quote("w".into()).await.unwrap(), 1);
    t.advance(WINDOW / 2).await;
    t.shutdown().await;

    let t = TestSystem::with_journal(journals.clone());
    let till = spawn_till(&t, &runs);
    assert_eq!(till.total().await.unwrap(), 0, "recovered");
    t.advance(WINDOW - Duration::from_nanos(1)).await;
    assert_eq!(
        till.quote("w".into()).await.unwrap(),
        1,
        "within a window of the recovery"
    );
    t.advance(Duration::from_nanos(1)).await;
    assert_eq!(till.quote("w".into()).await.unwrap(), 2);
}

#[tokio::test]
async fn snapshots_keep_only_the_replies_still_within_their_window() {
    let journals = MemoryJournal::new();
    let runs = Runs::default();
    let t = TestSystem::with_journal(journals.clone());
    let till = spawn_till(&t, &runs);
    for n in 0..100 {
        till.quote(format!("old-{n}")).await.unwrap();
    }
    t.advance(WINDOW).await;
    for n in 0..100 {
        till.quote(format!("new-{n}")).await.unwrap();
    }
    t.shutdown().await;

    let snapshot = journals
        .load_snapshot(QUOTES)
        .await
        .unwrap()
        .expect("a snapshot was saved");
    assert!(
        snapshot.position > 100,
        "one taken after the window: {}",
        snapshot.position
    );
    let records: Vec<Vec<u8>> = postcard::from_bytes(&snapshot.bytes).unwrap();
    let keys: Vec<String> = records
        .iter()
        .map(|record| postcard::from_bytes::<(String, u32)>(record).unwrap().0)
        .collect();
    assert!(keys.iter().all(|key| key.starts_with("new-")), "{keys:?}");

    let t = TestSystem::with_journal(journals.clone());
    let till = spawn_till(&t, &runs);
    for n in 0..100 {
        assert_eq!(till.quote(format!("new-{n}")).await.unwrap(), 1, "new-{n}");
    }
}

#[tokio::test]
async fn a_record_the_store_refuses_still_replies_and_is_remembered_until_the_os_process_ends() {
    let journal = FaultyJournal::new();
    let runs = Runs::default();
    let t = TestSystem::with_journal(journal.clone());
    let first = spawn_till(&t, &runs);
    journal.fail_next_append();
    assert_eq!(first.quote("f".into()).await.unwrap(), 1);
    assert_eq!(first.quote("f".into()).await.unwrap(), 1, "remembered in memory");
    assert_eq!(journal.memory().len(QUOTES), 0);
    t.shutdown().await;

    let t = TestSystem::with_journal(journal.clone());
    assert_eq!(
        spawn_till(&t, &runs).quote("f".into()).await.unwrap(),
        2,
        "not recorded: runs again"
    );
}

#[tokio::test]
async fn a_crash_between_the_events_and_the_record_is_closed_by_keying_the_events() {
    let journal = FaultyJournal::new();
    let runs = Runs::default();
    let t = TestSystem::with_journal(journal.clone());
    let till = spawn_till(&t, &runs);

    // The documented gap: the event is stored, the record is not, and the
    // retry runs the handler again.
    journal.crash_after_next_append();
    assert!(matches!(
        till.charge("y".into(), 5).await,
        Err(CallError::Panicked { .. })
    ));
    assert_eq!(till.charge("y".into(), 5).await.unwrap(), Ok(10), "charged twice");
    assert_eq!(runs.of("y"), 2);

    // Closed by the handler: the key is in the event, the state has it.
    journal.crash_after_next_append();
    assert!(matches!(
        till.charge_once("x".into(), 5).await,
        Err(CallError::Panicked { .. })
    ));
    assert_eq!(till.charge_once("x".into(), 5).await.unwrap(), Ok(15), "charged once");
    assert_eq!(runs.of("x"), 1);
    assert_eq!(till.total().await.unwrap(), 15);
}
