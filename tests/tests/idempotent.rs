//! `#[idempotent(key = arg, window = "10m")]` on virtual time: a call
//! whose key was seen within the window gets the first call's reply, and
//! the handler's side effect (counted outside the process) happens once;
//! racing duplicates, crashes, tells and the window's end included.

use std::collections::HashMap;
use std::future::IntoFuture;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use phyx::prelude::*;
use phyx::{CallError, Reply};
use phyx_testkit::TestSystem;

const WINDOW: Duration = Duration::from_secs(600);

/// The handlers' side effects, kept outside the processes so that a
/// restart does not reset them: how many times each key's handler ran,
/// and what a handler should do next.
#[derive(Clone, Default)]
struct Effects {
    runs: Arc<Mutex<HashMap<String, u32>>>,
    crash_next: Arc<Mutex<bool>>,
}

impl Effects {
    fn ran(&self, key: &str) {
        *self.lock().entry(key.to_owned()).or_default() += 1;
    }

    fn runs(&self, key: &str) -> u32 {
        self.lock().get(key).copied().unwrap_or(0)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, u32>> {
        self.runs.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The next call of `risky` panics.
    fn crash_next(&self) {
        *self.crash_next.lock().unwrap_or_else(PoisonError::into_inner) = true;
    }

    fn take_crash(&self) -> bool {
        std::mem::take(&mut *self.crash_next.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// What a `Courier` does with the reply it carries.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Fate {
    Deliver,
    /// Dropped unsent, after a second.
    Drop,
    /// The courier's handler panics with the reply in hand, after a second.
    Panic,
}

/// A reply on its way, wrapped so that it travels as an argument.
struct Parcel(Reply<u64>);

/// Carries replies for `Payments::charge_via`: the first call's reply is
/// owed elsewhere while duplicates arrive.
struct Courier;

#[process]
impl Courier {
    /// Replies later itself (`done`), so that a panic here is one of a
    /// reply-later handler: the parcel's caller hears `Panicked`.
    #[public]
    async fn carry(&mut self, ctx: &mut Ctx<Self>, parcel: Parcel, value: u64, fate: Fate, done: Reply<()>) {
        ctx.sleep(Duration::from_secs(1)).await;
        match fate {
            Fate::Deliver => parcel.0.send(value),
            Fate::Drop => drop(parcel),
            Fate::Panic => panic!("the courier fell over"),
        }
        done.send(());
    }
}

struct Payments {
    effects: Effects,
    courier: CourierRef,
    total: u64,
}

#[process]
impl Payments {
    #[public]
    #[idempotent(key = order, window = "10m")]
    fn charge(&mut self, order: String, cents: u64) -> Result<u64, String> {
        self.effects.ran(&order);
        if cents == 0 {
            return Err(format!("nothing to charge for {order}"));
        }
        self.total += cents;
        Ok(self.total)
    }

    #[public]
    #[idempotent(key = order, window = "10m")]
    async fn charge_slowly(&mut self, ctx: &mut Ctx<Self>, order: String, cents: u64) -> u64 {
        self.effects.ran(&order);
        ctx.sleep(Duration::from_secs(1)).await;
        self.total += cents;
        self.total
    }

    /// Replies a second later, from a task: the mailbox flows meanwhile.
    #[public]
    #[idempotent(key = order, window = "10m")]
    fn charge_later(&mut self, order: String, cents: u64, reply: Reply<u64>) {
        self.effects.ran(&order);
        self.total += cents;
        let total = self.total;
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            reply.send(total);
        });
    }

    /// Hands the reply to the courier, which decides its fate.
    #[public]
    #[idempotent(key = order, window = "10m")]
    fn charge_via(&mut self, order: String, cents: u64, fate: Fate, reply: Reply<u64>) {
        self.effects.ran(&order);
        self.total += cents;
        // Never full: the courier's mailbox is the default's.
        let _ = self.courier.carry(Parcel(reply), self.total, fate).send();
    }

    /// Panics when told to (`Effects::crash_next`).
    #[public]
    #[idempotent(key = order, window = "10m")]
    fn risky(&mut self, order: String) -> u64 {
        self.effects.ran(&order);
        assert!(!self.effects.take_crash(), "the risky charge of {order} failed");
        self.total += 1;
        self.total
    }

    #[public]
    fn crash(&self) {
        panic!("a bug elsewhere");
    }

    #[public]
    fn total(&self) -> u64 {
        self.total
    }
}

fn payments(t: &TestSystem, effects: &Effects) -> PaymentsRef {
    let courier = t.system().spawn(|| Courier);
    let effects = effects.clone();
    t.system().spawn(move || Payments {
        effects: effects.clone(),
        courier: courier.clone(),
        total: 0,
    })
}

#[tokio::test]
async fn a_duplicate_after_the_reply_gets_that_reply_and_the_handler_runs_once() {
    let t = TestSystem::new();
    let effects = Effects::default();
    let payments = payments(&t, &effects);
    assert_eq!(payments.charge("a".into(), 5).await.unwrap(), Ok(5));
    assert_eq!(payments.charge("a".into(), 5).await.unwrap(), Ok(5));
    assert_eq!(
        payments.charge("a".into(), 7).await.unwrap(),
        Ok(5),
        "the key decides, not the arguments"
    );
    assert_eq!(effects.runs("a"), 1);
    assert_eq!(payments.total().await.unwrap(), 5);
}

#[tokio::test]
async fn an_err_reply_is_what_duplicates_get_too() {
    let t = TestSystem::new();
    let effects = Effects::default();
    let payments = payments(&t, &effects);
    let refused = Err("nothing to charge for z".to_owned());
    assert_eq!(payments.charge("z".into(), 0).await.unwrap(), refused);
    assert_eq!(payments.charge("z".into(), 9).await.unwrap(), refused);
    assert_eq!(effects.runs("z"), 1);
}

#[tokio::test]
async fn different_keys_run_separately_and_each_method_has_its_own_keys() {
    let t = TestSystem::new();
    let effects = Effects::default();
    let payments = payments(&t, &effects);
    assert_eq!(payments.charge("a".into(), 5).await.unwrap(), Ok(5));
    assert_eq!(payments.charge("b".into(), 5).await.unwrap(), Ok(10));
    assert_eq!(payments.charge_slowly("a".into(), 1).await.unwrap(), 11);
    assert_eq!((effects.runs("a"), effects.runs("b")), (2, 1));
}

#[tokio::test]
async fn duplicates_racing_an_async_handler_by_asks_and_tells_run_it_once() {
    let t = TestSystem::new();
    let effects = Effects::default();
    let payments = payments(&t, &effects);
    let asks: Vec<_> = (0..16)
        .map(|_| tokio::spawn(payments.charge_slowly("k".into(), 5).into_future()))
        .collect();
    for _ in 0..16 {
        payments.charge_slowly("k".into(), 5).send().unwrap();
    }
    t.advance(Duration::from_secs(1)).await;
    for ask in asks {
        assert_eq!(ask.await.unwrap(), Ok(5));
    }
    t.settle().await;
    assert_eq!(effects.runs("k"), 1);
    assert_eq!(payments.total().await.unwrap(), 5);
}

#[tokio::test]
async fn duplicates_of_a_call_that_replies_later_wait_for_its_reply() {
    let t = TestSystem::new();
    let effects = Effects::default();
    let payments = payments(&t, &effects);
    let first = tokio::spawn(payments.charge_later("k".into(), 5).into_future());
    t.settle().await;
    // The first handler has returned; its reply is owed for a second.
    let duplicates: Vec<_> = (0..8)
        .map(|_| tokio::spawn(payments.charge_later("k".into(), 5).into_future()))
        .collect();
    payments.charge_later("k".into(), 5).send().unwrap();
    t.advance(Duration::from_millis(999)).await;
    assert_eq!(
        payments.total().await.unwrap(),
        5,
        "the duplicates were handled, not run"
    );
    assert!(!first.is_finished());
    assert!(
        duplicates.iter().all(|duplicate| !duplicate.is_finished()),
        "they wait for the reply"
    );
    t.advance(Duration::from_millis(1)).await;
    assert_eq!(first.await.unwrap(), Ok(5));
    for duplicate in duplicates {
        assert_eq!(duplicate.await.unwrap(), Ok(5));
    }
    assert_eq!(effects.runs("k"), 1);
    assert_eq!(
        payments.charge_later("k".into(), 5).await.unwrap(),
        5,
        "and later ones too"
    );
}

#[tokio::test]
async fn the_window_starts_at_the_reply_and_ends_on_virtual_time() {
    let t = TestSystem::new();
    let effects = Effects::default();
    let payments = payments(&t, &effects);
    assert_eq!(payments.charge_slowly("w".into(), 5).await.unwrap(), 5);
    // The reply came a second after the call: the window runs from there.
    t.advance(WINDOW - Duration::from_nanos(1)).await;
    assert_eq!(payments.charge_slowly("w".into(), 5).await.unwrap(), 5, "just before");
    assert_eq!(effects.runs("w"), 1);
    t.advance(Duration::from_nanos(1)).await;
    assert_eq!(payments.charge_slowly("w".into(), 5).await.unwrap(), 10, "at its end");
    assert_eq!(effects.runs("w"), 2);
    // And a new window from the new reply.
    assert_eq!(payments.charge_slowly("w".into(), 5).await.unwrap(), 10);
}

#[tokio::test]
async fn the_table_survives_a_restart_of_the_process() {
    let t = TestSystem::new();
    let effects = Effects::default();
    let payments = payments(&t, &effects);
    assert_eq!(payments.charge("r".into(), 5).await.unwrap(), Ok(5));
    assert!(matches!(payments.crash().await, Err(CallError::Panicked { .. })));
    assert_eq!(payments.total().await.unwrap(), 0, "restarted with fresh state");
    assert_eq!(
        payments.charge("r".into(), 5).await.unwrap(),
        Ok(5),
        "the reply before the restart"
    );
    assert_eq!(effects.runs("r"), 1);
}

#[tokio::test]
async fn a_panic_of_the_first_call_forgets_its_key_and_the_next_call_runs() {
    let t = TestSystem::new();
    let effects = Effects::default();
    let payments = payments(&t, &effects);
    effects.crash_next();
    let first = tokio::spawn(payments.risky("p".into()).into_future());
    // Queued behind the first: handled by the next instance, as a retry.
    let queued = tokio::spawn(payments.risky("p".into()).into_future());
    let Err(CallError::Panicked { message, .. }) = first.await.unwrap() else {
        panic!("the first call panicked");
    };
    assert_eq!(&*message, "the risky charge of p failed");
    assert_eq!(queued.await.unwrap(), Ok(1));
    assert_eq!(payments.risky("p".into()).await.unwrap(), 1, "and that reply is kept");
    assert_eq!(effects.runs("p"), 2);
}

/// A first call whose `Reply` ends without a value (`fate`), with
/// duplicates waiting for it: they all hear what its caller hears, and a
/// retry runs the handler.
async fn a_first_call_that_ends_without_a_reply(fate: Fate, heard: fn(&CallError) -> bool) {
    let t = TestSystem::new();
    let effects = Effects::default();
    let payments = payments(&t, &effects);
    let first = tokio::spawn(payments.charge_via("v".into(), 5, fate).into_future());
    t.settle().await;
    let duplicates: Vec<_> = (0..4)
        .map(|_| tokio::spawn(payments.charge_via("v".into(), 5, Fate::Deliver).into_future()))
        .collect();
    t.advance(Duration::from_secs(1)).await;
    let error = first.await.unwrap().unwrap_err();
    assert!(heard(&error), "{error:?}");
    for duplicate in duplicates {
        let duplicate = duplicate.await.unwrap().unwrap_err();
        assert_eq!(duplicate.to_string(), error.to_string());
    }
    assert_eq!(effects.runs("v"), 1);
    let retry = tokio::spawn(payments.charge_via("v".into(), 5, Fate::Deliver).into_future());
    t.advance(Duration::from_secs(1)).await;
    assert_eq!(retry.await.unwrap(), Ok(10));
    assert_eq!(effects.runs("v"), 2);
}

#[tokio::test]
async fn a_reply_that_panics_away_fails_the_first_call_and_its_waiting_duplicates() {
    a_first_call_that_ends_without_a_reply(
        Fate::Panic,
        |error| matches!(error, CallError::Panicked { message, .. } if &**message == "the courier fell over"),
    )
    .await;
}

#[tokio::test]
async fn a_reply_dropped_unsent_fails_the_first_call_and_its_waiting_duplicates() {
    a_first_call_that_ends_without_a_reply(Fate::Drop, |error| matches!(error, CallError::ReplyDropped { .. })).await;
}

#[tokio::test]
async fn a_tell_with_a_seen_key_is_not_handled_and_an_ask_after_a_tell_gets_its_reply() {
    let t = TestSystem::new();
    let effects = Effects::default();
    let payments = payments(&t, &effects);
    assert_eq!(payments.charge("t".into(), 5).await.unwrap(), Ok(5));
    payments.charge("t".into(), 5).send().unwrap();
    payments.charge("u".into(), 7).send().unwrap();
    assert_eq!(
        payments.charge("u".into(), 7).await.unwrap(),
        Ok(12),
        "the tell's reply"
    );
    payments.charge("u".into(), 7).send().unwrap();
    t.settle().await;
    assert_eq!((effects.runs("t"), effects.runs("u")), (1, 1));
    assert_eq!(payments.total().await.unwrap(), 12);
}

#[derive(Default)]
struct Recent {
    runs: u32,
}

#[process]
impl Recent {
    #[public]
    #[idempotent(key = id, window = "1h", capacity = 2)]
    fn note(&mut self, id: u32) -> (u32, u32) {
        self.runs += 1;
        (id, self.runs)
    }
}

#[tokio::test]
async fn past_its_capacity_the_oldest_reply_is_forgotten_first() {
    let t = TestSystem::new();
    let recent = t.system().spawn(Recent::default);
    for id in 0..3 {
        assert_eq!(recent.note(id).await.unwrap(), (id, id + 1));
    }
    assert_eq!(recent.note(2).await.unwrap(), (2, 3), "kept");
    assert_eq!(recent.note(1).await.unwrap(), (1, 2), "kept");
    assert_eq!(recent.note(0).await.unwrap(), (0, 4), "forgotten: runs again");
}
