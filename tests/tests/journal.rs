//! Event-sourced processes on the memory store: what is persisted survives
//! crashes and new systems, replies wait for durability, failures of the
//! store and of the user's code each end as documented.

use phyx::journal::{MemoryJournal, PersistError};
use phyx::prelude::*;
use phyx::{CallError, SpawnOptions, StopReason};
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
}

#[process(journal)]
impl Account {
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
