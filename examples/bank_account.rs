//! A bank account whose balance survives a crash of its process and a
//! SIGKILL of its OS process: an event-sourced process
//! (`#[process(journal)]`) on a file journal.
//!
//! Each deposit and withdrawal is an event, appended to the account's
//! journal and flushed to disk before the balance changes and the caller
//! hears back; a withdrawal beyond the balance is an error reply and
//! persists nothing. At every start the account replays its journal.
//!
//! The example runs the account twice. First in a second OS process (the
//! example starts a copy of itself), which makes its deposits, crashes the
//! account once (a panic: it restarts and replays), reports its balance,
//! and is killed with SIGKILL mid-run. Then here, on the same journal
//! directory: the new account's balance is the one the killed process
//! last reported.
//!
//! Run with `cargo run --example bank_account`.

use std::env;
use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};

use phyx::journal::{FileJournal, PersistError};
use phyx::prelude::*;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

/// What happens to an account: its journal's events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Entry {
    Deposited(u64),
    Withdrew(u64),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum BankError {
    InsufficientFunds { balance: u64, requested: u64 },
    Journal(PersistError),
}

impl std::fmt::Display for BankError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::InsufficientFunds { balance, requested } => {
                write!(f, "insufficient funds: balance {balance}, requested {requested}")
            }
            Self::Journal(error) => write!(f, "not recorded: {error}"),
        }
    }
}

impl std::error::Error for BankError {}

#[derive(Default)]
pub struct Account {
    balance: u64,
}

#[process(journal)]
impl Account {
    /// How an entry changes the balance: at every persist, and for every
    /// entry of the journal when the account starts.
    #[apply]
    fn apply(&mut self, entry: Entry) {
        match entry {
            Entry::Deposited(amount) => self.balance += amount,
            Entry::Withdrew(amount) => self.balance -= amount,
        }
    }

    #[public]
    pub async fn deposit(&mut self, ctx: &mut Ctx<Self>, amount: u64) -> Result<u64, BankError> {
        ctx.persist(self, Entry::Deposited(amount))
            .await
            .map_err(BankError::Journal)?;
        Ok(self.balance)
    }

    #[public]
    pub async fn withdraw(&mut self, ctx: &mut Ctx<Self>, amount: u64) -> Result<u64, BankError> {
        if amount > self.balance {
            return Err(BankError::InsufficientFunds {
                balance: self.balance,
                requested: amount,
            });
        }
        ctx.persist(self, Entry::Withdrew(amount))
            .await
            .map_err(BankError::Journal)?;
        Ok(self.balance)
    }

    #[public]
    pub fn balance(&self) -> u64 {
        self.balance
    }

    /// Stands for a bug: crashes this instance; the next one replays.
    #[public]
    pub fn crash(&mut self) {
        panic!("bug in the account");
    }
}

/// The account's name, and so its journal's.
pub const ACCOUNT: &str = "account-42";

/// Set in the copy of the example that runs the account until it is killed.
pub const CHILD_VAR: &str = "PHYX_BANK_ACCOUNT_JOURNAL";

/// What a run saw.
#[derive(Debug)]
pub struct Summary {
    /// The last balance the killed OS process reported.
    pub before_kill: u64,
    /// The balance of the account started again on the same journal.
    pub after_kill: u64,
    /// Its entries, as the journal holds them.
    pub journal: Vec<Entry>,
}

/// The account in this OS process, on the journal in `dir`.
async fn open(dir: &Path) -> Result<(System, AccountRef, FileJournal), Box<dyn Error>> {
    let journal = FileJournal::open(dir)?;
    let system = System::builder().journal(journal.clone()).build();
    let account = system.spawn_with(Account::default, phyx::SpawnOptions::new().name(ACCOUNT));
    Ok((system, account, journal))
}

/// The child: makes its operations, reports each balance, crashes the
/// account once, and waits to be killed.
pub async fn child(dir: &Path) -> Result<(), Box<dyn Error>> {
    // It crashes its account on purpose: keep the panics phyx catches (and
    // reports to callers and in events) off stderr.
    phyx::hide_caught_panics();
    let (_system, account, _journal) = open(dir).await?;
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
        match reply {
            Ok(balance) => println!("balance {balance} after {operation:?}"),
            Err(error) => println!("refused {operation:?}: {error}"),
        }
    }
    if let Err(error) = account.crash().await {
        println!("crashed: {error}");
    }
    println!("balance {} after a restart", account.balance().await?);
    println!("ready");
    // Until the parent kills this OS process (or goes away itself).
    tokio::io::copy(&mut tokio::io::stdin(), &mut tokio::io::sink()).await?;
    Ok(())
}

/// Runs `command` as the child on a journal in `dir`, kills it with
/// SIGKILL once it is ready, and starts the account again here.
pub async fn run(dir: &Path, mut command: Command) -> Result<Summary, Box<dyn Error>> {
    let mut child = command
        .env(CHILD_VAR, dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let mut lines = BufReader::new(child.stdout.take().ok_or("no stdout")?).lines();
    let mut before_kill = None;
    while let Some(line) = lines.next_line().await? {
        println!("child: {line}");
        if let Some(balance) = line.strip_prefix("balance ") {
            before_kill = balance.split(' ').next().and_then(|n| n.parse().ok());
        }
        if line == "ready" {
            break;
        }
    }
    let before_kill = before_kill.ok_or("the child reported no balance")?;
    child.kill().await?; // SIGKILL: no destructor, no flush, no goodbye
    println!("child: killed with SIGKILL");

    let (system, account, store) = open(dir).await?;
    let after_kill = account.balance().await?;
    println!(
        "balance {after_kill} in a new OS process, replayed from {}",
        dir.display()
    );
    system.shutdown().await;
    let journal = phyx::journal::events::<Account>(&store, ACCOUNT).await?;
    Ok(Summary {
        before_kill,
        after_kill,
        journal,
    })
}

/// A fresh directory for this run's journal.
fn journal_dir() -> PathBuf {
    env::temp_dir().join(format!("phyx-bank-account-{}", std::process::id()))
}

#[tokio::main]
async fn main() -> ExitCode {
    let outcome = match env::var_os(CHILD_VAR) {
        Some(dir) => child(Path::new(&dir)).await,
        None => {
            let dir = journal_dir();
            let ran = match env::current_exe() {
                Ok(exe) => run(&dir, Command::new(exe)).await.map(drop),
                Err(error) => Err(error.into()),
            };
            let _ = std::fs::remove_dir_all(&dir);
            ran
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}
