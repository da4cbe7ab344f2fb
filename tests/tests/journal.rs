//! Event-sourced processes on the memory store: what is persisted survives
//! crashes and new systems, replies wait for durability, failures of the
//! store and of the user's code each end as documented.

use std::future::IntoFuture;
use std::time::Duration;

use phyx::event::EventKind;
use phyx::journal::{Journal, JournalError, MemoryJournal, PersistError, Snapshot};
use phyx::prelude::*;
use phyx::{CallError, SpawnOptions, StopReason};
use phyx_testkit::TestSystem;
use phyx_testkit::journal::{self, FaultyJournal};
use phyx_tests::EventLog;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Event {
    Deposited(u64),
    Withdrew(u64),
}

#[derive(Default)]
struct Account {
    balance: u64,
    applied: u64,
    /// The balance the start hook saw: recovery comes first.
    started_with: Option<u64>,
}

#[process(journal)]
impl Account {
    #[on_start]
    fn start(&mut self) {
        self.started_with = Some(self.balance);
    }

    #[apply]
    fn apply(&mut self, event: Event) {
        self.applied += 1;
        match event {
            Event::Deposited(amount) => self.balance += amount,
            Event::Withdrew(amount) => self.balance -= amount,
        }
    }

    #[public]
    async fn deposit(&mut self, ctx: &mut Ctx<Self>, amount: u64) -> Result<u64, PersistError> {
        ctx.persist(self, Event::Deposited(amount)).await?;
        Ok(self.balance)
    }

    #[public]
    async fn withdraw(&mut self, ctx: &mut Ctx<Self>, amount: u64) -> Result<u64, String> {
        if amount > self.balance {
            return Err(format!("balance {} is below {amount}", self.balance));
        }
        ctx.persist(self, Event::Withdrew(amount))
            .await
            .map_err(|error| error.to_string())?;
        Ok(self.balance)
    }

    #[public]
    fn balance(&self) -> (u64, u64) {
        (self.balance, self.applied)
    }

    #[public]
    fn started_with(&self) -> Option<u64> {
        self.started_with
    }

    #[public]
    fn journal_len(&self, ctx: &mut Ctx<Self>) -> u64 {
        ctx.journal_len()
    }

    #[public]
    async fn deposit_all(&mut self, ctx: &mut Ctx<Self>, amounts: Vec<u64>) -> Result<u64, PersistError> {
        ctx.persist_all(self, amounts.into_iter().map(Event::Deposited)).await?;
        Ok(self.balance)
    }

    #[public]
    fn crash(&self) {
        panic!("a bug");
    }
}

#[tokio::test(start_paused = true)]
async fn persisted_events_survive_a_crash_and_a_new_system() {
    let journals = MemoryJournal::new();
    let system = System::builder().journal(journals.clone()).build();
    let account = system.spawn(Account::default);
    assert_eq!(account.deposit(100).await.unwrap(), Ok(100));
    assert_eq!(account.withdraw(30).await.unwrap(), Ok(70));
    assert!(
        account.withdraw(500).await.unwrap().is_err(),
        "refused: persists nothing"
    );
    assert!(matches!(account.crash().await, Err(CallError::Panicked { .. })));
    assert_eq!(account.balance().await.unwrap(), (70, 2), "replayed after the crash");
    assert_eq!(
        account.started_with().await.unwrap(),
        Some(70),
        "replayed before the start hook"
    );
    assert_eq!(account.journal_len().await.unwrap(), 2);
    system.shutdown().await;
    assert_eq!(journals.len("Account"), 2);

    let again = System::builder().journal(journals.clone()).build();
    let account = again.spawn(Account::default);
    assert_eq!(account.balance().await.unwrap(), (70, 2), "replayed by a new system");
    assert_eq!(account.deposit(5).await.unwrap(), Ok(75));
    again.shutdown().await;
    assert_eq!(journals.len("Account"), 3);
}

#[tokio::test(start_paused = true)]
async fn each_name_has_its_own_journal_and_a_name_has_one_writer() {
    let journals = MemoryJournal::new();
    let system = System::builder().journal(journals.clone()).build();
    let alice = system.spawn_with(Account::default, SpawnOptions::new().name("alice"));
    let bob = system.spawn_with(Account::default, SpawnOptions::new().name("bob"));
    alice.deposit(1).await.unwrap().unwrap();
    bob.deposit(2).await.unwrap().unwrap();
    assert_eq!(journals.keys(), ["alice", "bob"]);

    let twin = system.spawn_with(Account::default, SpawnOptions::new().name("alice"));
    assert!(matches!(twin.balance().await, Err(CallError::Stopped { .. })));
    let StopReason::StartFailed { error } = Handle::stopped(&twin).await else {
        panic!("the twin should fail its start");
    };
    assert!(error.contains("journal `alice` is open in another process"), "{error}");
    assert_eq!(alice.balance().await.unwrap(), (1, 1), "the first writer is untouched");
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn without_a_store_the_start_fails_and_says_what_to_add() {
    let system = System::new();
    let account = system.spawn(Account::default);
    assert!(matches!(account.balance().await, Err(CallError::Stopped { .. })));
    let StopReason::StartFailed { error } = Handle::stopped(&account).await else {
        panic!("a journaled process without a store should fail its start");
    };
    assert!(error.contains("System::builder().journal("), "{error}");
    system.shutdown().await;
}

/// Whether `call` is still waiting after a virtual minute.
async fn still_waiting<F: std::future::Future>(call: &mut std::pin::Pin<Box<F>>) -> bool {
    tokio::time::timeout(Duration::from_secs(60), call.as_mut())
        .await
        .is_err()
}

#[tokio::test(start_paused = true)]
async fn the_reply_waits_until_the_event_is_stored() {
    let journal = FaultyJournal::new();
    let system = System::builder().journal(journal.clone()).build();
    let account = system.spawn(Account::default);
    account.deposit(10).await.unwrap().unwrap();

    let release = journal.hang_next_append();
    let mut deposit = Box::pin(account.deposit(5).into_future());
    assert!(
        still_waiting(&mut deposit).await,
        "no reply before the store has the event"
    );
    assert_eq!(journal.memory().len("Account"), 1);
    release.release();
    assert_eq!(deposit.await.unwrap(), Ok(15));
    assert_eq!(journal.memory().len("Account"), 2);
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_crash_between_persist_and_reply_loses_nothing_and_doubles_nothing() {
    let journal = FaultyJournal::new();
    let system = System::builder().journal(journal.clone()).build();
    let account = system.spawn(Account::default);
    account.deposit(10).await.unwrap().unwrap();

    journal.crash_after_next_append();
    let error = account.deposit(5).await.unwrap_err();
    assert!(matches!(error, CallError::Panicked { .. }), "{error:?}");
    assert_eq!(
        account.balance().await.unwrap(),
        (15, 2),
        "the persisted deposit is replayed once"
    );
    assert_eq!(journal.memory().len("Account"), 2);
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_store_that_fails_before_writing_leaves_state_and_journal_as_they_were() {
    let journal = FaultyJournal::new();
    let (system, log) = EventLog::system_with(System::builder().journal(journal.clone()));
    let account = system.spawn(Account::default);
    account.deposit(10).await.unwrap().unwrap();

    journal.fail_next_append();
    let refused = account.deposit(5).await.unwrap();
    assert!(
        matches!(refused, Err(PersistError::Journal(JournalError::Unavailable { .. }))),
        "{refused:?}"
    );
    assert_eq!(account.balance().await.unwrap(), (10, 1));
    assert_eq!(journal.memory().len("Account"), 1);
    assert_eq!(
        log.restarts_of("Account").len(),
        1,
        "the instance ends after a failed append, its next one replays"
    );
    assert!(
        log.kinds_of("Account")
            .iter()
            .all(|kind| !matches!(kind, EventKind::Stopped { .. }))
    );
    assert_eq!(account.deposit(1).await.unwrap(), Ok(11), "and goes on");
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_lost_acknowledgement_restarts_the_process_on_what_the_journal_holds() {
    let journal = FaultyJournal::new();
    let system = System::builder().journal(journal.clone()).build();
    let account = system.spawn(Account::default);
    account.deposit(10).await.unwrap().unwrap();

    journal.lose_next_ack();
    assert!(
        account.deposit(5).await.unwrap().is_err(),
        "the caller hears of the failure"
    );
    assert_eq!(
        account.balance().await.unwrap(),
        (15, 2),
        "but the journal has the event, and the state is the journal's"
    );
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn persist_all_is_all_or_none() {
    let journal = FaultyJournal::new();
    let system = System::builder().journal(journal.clone()).build();
    let account = system.spawn(Account::default);
    journal.fail_next_append();
    assert!(account.deposit_all(vec![1, 2, 3]).await.unwrap().is_err());
    assert_eq!(account.balance().await.unwrap(), (0, 0));
    assert_eq!(journal.memory().len("Account"), 0);

    assert_eq!(account.deposit_all(vec![1, 2, 3]).await.unwrap(), Ok(6));
    assert_eq!(
        account.deposit_all(Vec::new()).await.unwrap(),
        Ok(6),
        "nothing to persist"
    );
    assert_eq!(journal.memory().len("Account"), 3);
    account.crash().await.unwrap_err();
    assert_eq!(account.balance().await.unwrap(), (6, 3));
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn an_event_that_no_longer_decodes_fails_the_start_naming_journal_position_and_type() {
    let journals = MemoryJournal::new();
    journal::write::<Account>(&journals, "Account", [Event::Deposited(3)])
        .await
        .unwrap();
    // What an older build wrote: a variant this `Event` does not have.
    journals.append("Account", 2, vec![vec![7, 1]]).await.unwrap();
    let system = System::builder().journal(journals.clone()).build();
    let account = system.spawn(Account::default);
    assert!(account.balance().await.is_err());
    let StopReason::StartFailed { error } = Handle::stopped(&account).await else {
        panic!("the start should fail");
    };
    assert!(
        error.contains("journal `Account`: event 2 does not decode as `journal::Event`"),
        "{error}"
    );
    assert_eq!(journals.len("Account"), 2, "nothing skipped, nothing rewritten");
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn an_apply_that_panics_in_a_replay_fails_the_start_at_that_event() {
    let journals = MemoryJournal::new();
    // The second event takes more than the balance: `apply` overflows.
    journal::write::<Account>(&journals, "Account", [Event::Deposited(1), Event::Withdrew(5)])
        .await
        .unwrap();
    let system = System::builder().journal(journals).build();
    let account = system.spawn(Account::default);
    let StopReason::StartFailed { error } = Handle::stopped(&account).await else {
        panic!("the start should fail");
    };
    assert!(error.contains("applying event 2 panicked"), "{error}");
    system.shutdown().await;
}

/// A note whose empty form cannot be encoded.
#[derive(Debug, Clone, PartialEq)]
struct Note(String);

impl Serialize for Note {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.0.is_empty() {
            return Err(serde::ser::Error::custom("an empty note"));
        }
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Note {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Note)
    }
}

#[derive(Default)]
struct Notebook {
    notes: Vec<String>,
}

#[process(journal)]
impl Notebook {
    #[apply]
    fn apply(&mut self, note: &Note) {
        self.notes.push(note.0.clone());
    }

    #[public]
    async fn write(&mut self, ctx: &mut Ctx<Self>, note: String) -> Result<usize, PersistError> {
        ctx.persist(self, Note(note)).await?;
        Ok(self.notes.len())
    }
}

#[tokio::test(start_paused = true)]
async fn an_event_that_does_not_encode_is_refused_and_the_process_goes_on() {
    let journals = MemoryJournal::new();
    let (system, log) = EventLog::system_with(System::builder().journal(journals.clone()));
    let notebook = system.spawn(Notebook::default);
    assert_eq!(notebook.write("one".into()).await.unwrap(), Ok(1));
    let refused = notebook.write(String::new()).await.unwrap();
    // (postcard keeps the failure, not the serializer's words.)
    let Err(PersistError::Encode { event, .. }) = refused else {
        panic!("expected an encode error, got {refused:?}");
    };
    assert_eq!(event, "journal::Note");
    assert_eq!(notebook.write("two".into()).await.unwrap(), Ok(2));
    assert!(
        log.restarts_of("Notebook").is_empty(),
        "nothing was written: no restart"
    );
    assert_eq!(journals.len("Notebook"), 2);
    system.shutdown().await;
}

#[derive(Default)]
struct Tally {
    total: u64,
    restored_from: Option<u64>,
}

#[process(journal, snapshot_every = 3)]
impl Tally {
    #[apply]
    fn apply(&mut self, added: u64) {
        self.total += added;
    }

    #[snapshot]
    fn snapshot(&self) -> u64 {
        self.total
    }

    #[restore]
    fn restore(&mut self, total: u64) {
        self.total = total;
        self.restored_from = Some(total);
    }

    #[public]
    async fn add(&mut self, ctx: &mut Ctx<Self>, n: u64) -> Result<u64, PersistError> {
        ctx.persist(self, n).await?;
        Ok(self.total)
    }

    #[public]
    fn total(&self) -> (u64, Option<u64>) {
        (self.total, self.restored_from)
    }

    #[public]
    fn crash(&self) {
        panic!("a bug");
    }
}

#[tokio::test(start_paused = true)]
async fn a_start_restores_the_latest_snapshot_then_replays_the_events_after_it() {
    let journals = MemoryJournal::new();
    let (system, log) = EventLog::system_with(System::builder().journal(journals.clone()));
    let tally = system.spawn(Tally::default);
    for n in 1..=7 {
        tally.add(n).await.unwrap().unwrap();
    }
    let snapshot = journals.load_snapshot("Tally").await.unwrap().unwrap();
    assert_eq!(snapshot.position, 6, "one every 3 events");
    tally.crash().await.unwrap_err();
    assert_eq!(tally.total().await.unwrap(), (28, Some(21)));
    let recovered: Vec<_> = log
        .kinds_of("Tally")
        .into_iter()
        .filter_map(|kind| match kind {
            EventKind::Recovered { snapshot, events } => Some((snapshot, events)),
            _ => None,
        })
        .collect();
    assert_eq!(recovered, [(None, 0), (Some(6), 1)]);
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_snapshot_that_no_longer_decodes_is_passed_over_for_the_events() {
    let journals = MemoryJournal::new();
    journal::write::<Tally>(&journals, "Tally", [1, 2, 3]).await.unwrap();
    // Not a `u64`: a snapshot of an older state type.
    let garbage = Snapshot {
        position: 3,
        bytes: vec![0xFF; 11],
    };
    journals.save_snapshot("Tally", garbage).await.unwrap();
    let system = System::builder().journal(journals).build();
    let tally = system.spawn(Tally::default);
    assert_eq!(tally.total().await.unwrap(), (6, None), "every event replayed instead");
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn the_test_kit_replays_and_fast_forwards_journals() {
    let journals = MemoryJournal::new();
    let t = TestSystem::with_journal(journals.clone());
    let account = t.system().spawn(Account::default);
    for amount in [5, 10, 20] {
        account.deposit(amount).await.unwrap().unwrap();
    }
    let persisted = phyx::journal::events::<Account>(&journals, "Account").await.unwrap();
    assert_eq!(
        persisted,
        [Event::Deposited(5), Event::Deposited(10), Event::Deposited(20)]
    );
    let after_two = journal::state_after(Account::default(), &journals, "Account", 2)
        .await
        .unwrap();
    assert_eq!(after_two.balance, 15);
    let replayed = journal::replay(Account::default(), persisted);
    assert_eq!((replayed.balance, replayed.applied), (35, 3));
    t.system().shutdown().await;
}

/// A seeded draw, for the soak.
struct Draw(u64);

impl Draw {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % n
    }
}

/// Random deposits, withdrawals, store failures of every kind, crashes
/// and new systems, checked after each step against a model: the balance
/// is always the sum of what the journal holds, each event applied once.
/// `PHYX_SEED=n` runs one seed.
#[tokio::test(start_paused = true)]
async fn soak_the_state_is_always_the_journals() {
    let seeds: Vec<u64> = match std::env::var("PHYX_SEED") {
        Ok(seed) => vec![seed.parse().expect("PHYX_SEED is a number")],
        Err(_) => (1..=12).collect(),
    };
    for seed in seeds {
        let mut draw = Draw(seed);
        let journal = FaultyJournal::new();
        let mut system = System::builder().journal(journal.clone()).build();
        // Crashes come faster than any restart limit allows.
        let tireless = || SpawnOptions::new().max_restarts(u32::MAX, Duration::from_secs(1));
        let mut account = system.spawn_with(Account::default, tireless());
        let mut tally = system.spawn_with(Tally::default, tireless());
        let (mut balance, mut total, mut events) = (0u64, 0u64, 0u64);
        for step in 0..150 {
            let amount = 1 + draw.below(20);
            let context = format!("seed {seed}, step {step}");
            match draw.below(9) {
                0 => {
                    journal.fail_next_append();
                    assert!(account.deposit(amount).await.unwrap().is_err(), "{context}");
                }
                1 => {
                    journal.lose_next_ack();
                    assert!(account.deposit(amount).await.unwrap().is_err(), "{context}");
                    (balance, events) = (balance + amount, events + 1);
                }
                2 => {
                    journal.crash_after_next_append();
                    assert!(account.deposit(amount).await.is_err(), "{context}");
                    (balance, events) = (balance + amount, events + 1);
                }
                3 => {
                    account.crash().await.unwrap_err();
                    tally.crash().await.unwrap_err();
                }
                4 => {
                    system.shutdown().await;
                    system = System::builder().journal(journal.clone()).build();
                    account = system.spawn_with(Account::default, tireless());
                    tally = system.spawn_with(Tally::default, tireless());
                }
                5 => {
                    let withdrawn = account.withdraw(amount).await.unwrap();
                    if amount <= balance {
                        assert_eq!(withdrawn, Ok(balance - amount), "{context}");
                        (balance, events) = (balance - amount, events + 1);
                    } else {
                        assert!(withdrawn.is_err(), "{context}");
                    }
                }
                6 | 7 => {
                    assert_eq!(tally.add(amount).await.unwrap(), Ok(total + amount), "{context}");
                    total += amount;
                }
                _ => {
                    assert_eq!(
                        account.deposit(amount).await.unwrap(),
                        Ok(balance + amount),
                        "{context}"
                    );
                    (balance, events) = (balance + amount, events + 1);
                }
            }
            // Each instance applies every event once: by replay, or as
            // it persists it.
            let seen = account.balance().await.unwrap();
            assert_eq!(seen, (balance, events), "{context}");
            assert_eq!(journal.memory().len("Account"), events, "{context}");
            assert_eq!(tally.total().await.unwrap().0, total, "{context}");
        }
        system.shutdown().await;
        let rebuilt = journal::state_after(Account::default(), &journal, "Account", u64::MAX)
            .await
            .unwrap();
        assert_eq!((rebuilt.balance, rebuilt.applied), (balance, events), "seed {seed}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_shutdown_while_the_store_never_answers_ends_in_bounded_time_and_fails_the_caller() {
    let journal = FaultyJournal::new();
    let system = System::builder().journal(journal.clone()).build();
    let account = system.spawn_with(
        Account::default,
        SpawnOptions::new().shutdown_timeout(Duration::from_secs(2)),
    );
    account.deposit(10).await.unwrap().unwrap();

    // Held, never released: the store never answers.
    let _hung = journal.hang_next_append();
    let deposit = tokio::spawn(account.deposit(5).into_future());
    tokio::time::sleep(Duration::from_secs(1)).await;
    let started = tokio::time::Instant::now();
    system.shutdown().await;
    assert!(
        started.elapsed() <= Duration::from_secs(3),
        "the shutdown waits out the grace, not the store ({:?})",
        started.elapsed()
    );
    let error = deposit.await.unwrap().unwrap_err();
    assert!(matches!(error, CallError::Stopped { .. }), "{error:?}");
    assert_eq!(journal.memory().len("Account"), 1, "the hung append wrote nothing");

    let again = System::builder().journal(journal.clone()).build();
    let account = again.spawn(Account::default);
    assert_eq!(account.balance().await.unwrap(), (10, 1));
    again.shutdown().await;
}
