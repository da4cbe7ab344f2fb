//! A bank account with an event journal. Deposits and withdrawals are
//! appended to a journal before the balance changes; a withdrawal beyond
//! the balance is an error reply, not a crash. When the account crashes,
//! its new instance starts from zero and rebuilds its balance by replaying
//! the journal, which lives in a process of its own (in production: a file
//! or a database).
//!
//! Run with `cargo run --example bank_account`.

use std::fmt;

use phyx::CallError;
use phyx::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    Deposited(u64),
    Withdrew(u64),
}

/// An append-only log of entries.
#[derive(Default)]
pub struct Journal {
    entries: Vec<Entry>,
}

#[process]
impl Journal {
    #[public]
    pub fn append(&mut self, entry: Entry) {
        self.entries.push(entry);
    }

    #[public]
    pub fn entries(&self) -> Vec<Entry> {
        self.entries.clone()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BankError {
    InsufficientFunds { balance: u64, requested: u64 },
    Journal(CallError),
}

impl fmt::Display for BankError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InsufficientFunds { balance, requested } => {
                write!(f, "insufficient funds: balance {balance}, requested {requested}")
            }
            Self::Journal(error) => write!(f, "journal unavailable: {error}"),
        }
    }
}

impl std::error::Error for BankError {}

pub struct Account {
    journal: JournalRef,
    balance: u64,
}

#[process]
impl Account {
    /// At every start, the first and each after a crash: replay the journal.
    #[on_start]
    async fn replay(&mut self) -> Result<(), CallError> {
        let entries = self.journal.entries().await?;
        entries.iter().for_each(|entry| self.apply(*entry));
        println!(
            "account started: replayed {} entries, balance {}",
            entries.len(),
            self.balance
        );
        Ok(())
    }

    #[public]
    pub async fn deposit(&mut self, amount: u64) -> Result<u64, BankError> {
        self.record(Entry::Deposited(amount)).await
    }

    #[public]
    pub async fn withdraw(&mut self, amount: u64) -> Result<u64, BankError> {
        if amount > self.balance {
            return Err(BankError::InsufficientFunds {
                balance: self.balance,
                requested: amount,
            });
        }
        self.record(Entry::Withdrew(amount)).await
    }

    #[public]
    pub fn balance(&self) -> u64 {
        self.balance
    }

    /// Stands for a bug: crashes this instance (not the journal).
    #[public]
    pub fn crash(&mut self) {
        panic!("bug in the account");
    }

    /// Journal first, then the balance: what the balance shows, a replay
    /// rebuilds.
    async fn record(&mut self, entry: Entry) -> Result<u64, BankError> {
        self.journal.append(entry).await.map_err(BankError::Journal)?;
        self.apply(entry);
        Ok(self.balance)
    }

    fn apply(&mut self, entry: Entry) {
        match entry {
            Entry::Deposited(amount) => self.balance += amount,
            Entry::Withdrew(amount) => self.balance -= amount,
        }
    }
}

#[derive(Debug)]
pub struct Summary {
    /// Each operation's reply: the new balance, or why not.
    pub replies: Vec<Result<u64, BankError>>,
    pub before_crash: u64,
    pub after_crash: u64,
    pub journal: Vec<Entry>,
}

pub async fn run(system: &System) -> Result<Summary, CallError> {
    let journal: JournalRef = system.spawn(Journal::default);
    let account: AccountRef = system.spawn({
        let journal = journal.clone();
        move || Account {
            journal: journal.clone(),
            balance: 0,
        }
    });

    let mut replies = Vec::new();
    for operation in [
        Entry::Deposited(100),
        Entry::Withdrew(30),
        Entry::Withdrew(500),
        Entry::Deposited(25),
    ] {
        let reply = match operation {
            Entry::Deposited(amount) => account.deposit(amount).await?,
            Entry::Withdrew(amount) => account.withdraw(amount).await?,
        };
        match &reply {
            Ok(balance) => println!("{operation:?}: balance {balance}"),
            Err(error) => println!("{operation:?}: refused, {error}"),
        }
        replies.push(reply);
    }
    let before_crash = account.balance().await?;
    if let Err(error) = account.crash().await {
        println!("{error}");
    }
    let after_crash = account.balance().await?; // answered by the new instance
    println!("balance before the crash {before_crash}, after {after_crash}");
    Ok(Summary {
        replies,
        before_crash,
        after_crash,
        journal: journal.entries().await?,
    })
}

#[tokio::main]
async fn main() -> Result<(), CallError> {
    // This example crashes processes on purpose: keep the panics phyx
    // catches (and reports to callers and in events) off stderr.
    phyx::hide_caught_panics();
    let system = System::new();
    run(&system).await?;
    system.shutdown().await;
    Ok(())
}
