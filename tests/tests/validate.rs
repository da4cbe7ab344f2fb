//! `#[validate(with = ...)]`: arguments checked at the caller.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use phyx::prelude::*;
use phyx::{CallError, SendError};
use phyx_testkit::TestSystem;

fn at_least_one_cent(cents: &u64, memo: &str) -> Result<(), String> {
    if *cents == 0 {
        return Err(format!("deposit `{memo}` must be at least one cent"));
    }
    Ok(())
}

/// A validator's error only needs `Display`.
#[derive(Debug)]
struct TooLong(usize);

impl std::fmt::Display for TooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a name is at most 8 characters, this one is {}", self.0)
    }
}

#[derive(Default)]
struct Account {
    cents: u64,
    handled: Arc<AtomicU32>,
}

#[process]
impl Account {
    #[public]
    #[validate(with = at_least_one_cent)]
    fn deposit(&mut self, cents: u64, memo: String) -> u64 {
        self.handled.fetch_add(1, Ordering::SeqCst);
        let _ = memo;
        self.cents += cents;
        self.cents
    }

    #[public]
    #[validate(with = Self::short)]
    fn rename(&mut self, name: String) {
        self.handled.fetch_add(1, Ordering::SeqCst);
        let _ = name;
    }

    #[public]
    #[validate(with = never_accepts)]
    #[rate_limit(per_minute = 1)]
    fn limited(&self, value: u32) -> u32 {
        value
    }

    #[public]
    #[validate(with = panics)]
    fn guarded_by_a_panicking_validator(&self, value: u32) -> u32 {
        value
    }

    #[public]
    fn balance(&self) -> u64 {
        self.cents
    }

    fn short(name: &str) -> Result<(), TooLong> {
        if name.chars().count() > 8 {
            return Err(TooLong(name.chars().count()));
        }
        Ok(())
    }
}

fn never_accepts(value: &u32) -> Result<(), String> {
    Err(format!("{value} is never accepted"))
}

fn panics(_: &u32) -> Result<(), String> {
    panic!("the validator itself panicked")
}

#[tokio::test]
async fn an_accepted_call_goes_through() {
    let t = TestSystem::new();
    let account = t.system().spawn(Account::default);
    assert_eq!(account.deposit(250, "rent".into()).await, Ok(250));
}

#[tokio::test]
async fn a_refused_ask_fails_with_the_validators_words_and_sends_nothing() {
    let t = TestSystem::new();
    let handled = Arc::new(AtomicU32::new(0));
    let account = {
        let handled = handled.clone();
        t.system().spawn(move || Account {
            handled: handled.clone(),
            ..Account::default()
        })
    };
    let stall = t.stall(&account);
    let error = account.deposit(0, "rent".into()).await.unwrap_err();
    assert_eq!(account.queued(), 0, "no message entered the mailbox");
    stall.release();
    let CallError::Invalid {
        process,
        method,
        reason,
        ..
    } = &error
    else {
        panic!("expected Invalid, got {error:?}");
    };
    assert_eq!((&**process, *method), ("Account", "deposit"));
    assert_eq!(&**reason, "deposit `rent` must be at least one cent");
    assert_eq!(
        error.to_string(),
        "call to `deposit` on process `Account` was refused by its validator: deposit `rent` must be at least one cent"
    );
    assert_eq!(account.balance().await, Ok(0));
    assert_eq!(handled.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_refused_tell_fails_at_once_in_every_form() {
    let t = TestSystem::new();
    let account = t.system().spawn(Account::default);
    let invalid = |result: Result<_, SendError>| matches!(result, Err(SendError::Invalid { .. }));
    assert!(invalid(account.deposit(0, "a".into()).send()));
    assert!(invalid(account.deposit(0, "b".into()).send_wait().await));
    assert!(invalid(
        account
            .deposit(0, "c".into())
            .send_after(std::time::Duration::from_secs(1))
            .map(drop)
    ));
    assert!(invalid(
        account
            .deposit(0, "d".into())
            .send_every(std::time::Duration::from_secs(1))
            .map(drop)
    ));
    t.advance(std::time::Duration::from_secs(5)).await;
    assert_eq!(account.balance().await, Ok(0));
}

#[tokio::test]
async fn an_associated_function_with_any_display_error_validates() {
    let t = TestSystem::new();
    let account = t.system().spawn(Account::default);
    assert_eq!(account.rename("short".into()).await, Ok(()));
    let error = account.rename("much too long".into()).await.unwrap_err();
    assert!(
        matches!(&error, CallError::Invalid { reason, .. } if &**reason == "a name is at most 8 characters, this one is 13"),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_refused_call_takes_nothing_from_the_rate_limit() {
    let t = TestSystem::new();
    let account = t.system().spawn(Account::default);
    for _ in 0..3 {
        assert!(matches!(account.limited(1).await, Err(CallError::Invalid { .. })));
    }
}

#[tokio::test]
async fn a_validator_that_panics_panics_the_caller_not_the_process() {
    let t = TestSystem::new();
    let account = t.system().spawn(Account::default);
    let caller = tokio::spawn({
        let account = account.clone();
        async move { account.guarded_by_a_panicking_validator(1).await }
    });
    let error = caller.await.unwrap_err();
    assert!(error.is_panic(), "the validator runs in the caller's task");
    assert_eq!(account.balance().await, Ok(0), "the process never saw it");
    t.events().assert_none("a panic of the process", |kind| {
        matches!(kind, phyx::event::EventKind::Panicked { .. })
    });
}
