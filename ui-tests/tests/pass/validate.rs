//! Every shape `#[validate]` supports.

use std::fmt;

use phyx::prelude::*;

fn positive(cents: &u64, memo: &str) -> Result<(), String> {
    if *cents == 0 {
        return Err(format!("`{memo}`: zero"));
    }
    Ok(())
}

fn short(tags: &[String]) -> Result<(), Refusal> {
    if tags.len() > 3 { Err(Refusal) } else { Ok(()) }
}

#[derive(Debug)]
struct Refusal;

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("too many tags")
    }
}

#[derive(Default)]
struct Account {
    cents: u64,
}

#[process]
impl Account {
    #[public]
    #[validate(with = positive)]
    fn deposit(&mut self, cents: u64, memo: String) -> u64 {
        let _ = memo;
        self.cents += cents;
        self.cents
    }

    #[public]
    #[validate(with = short)]
    async fn tag(&mut self, tags: Vec<String>) {
        let _ = tags;
    }

    #[public]
    #[validate(with = Self::even)]
    fn halve(&mut self, ctx: &mut Ctx<Self>, cents: u64) -> u64 {
        let _ = ctx;
        cents / 2
    }

    #[public]
    #[validate(with = crate::positive)]
    fn later(&self, cents: u64, memo: String, reply: Reply<u64>) {
        let _ = memo;
        reply.send(cents);
    }

    fn even(cents: &u64) -> Result<(), &'static str> {
        if cents % 2 == 0 { Ok(()) } else { Err("odd") }
    }
}

/// A generic process whose validator is an associated function.
struct Bounded<T> {
    items: Vec<T>,
}

#[process]
impl<T: Send + 'static> Bounded<T> {
    #[public]
    #[validate(with = Self::fits)]
    fn push(&mut self, item: T) {
        self.items.push(item);
    }

    fn fits(_item: &T) -> Result<(), String> {
        Ok(())
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let system = System::new();
    let account = system.spawn(Account::default);
    let _: Result<u64, CallError> = account.deposit(1, "a".into()).await;
    let _: Result<(), CallError> = account.tag(vec![]).await;
    let _: Result<u64, CallError> = account.halve(2).await;
    let _: Result<u64, CallError> = account.later(2, "b".into()).await;
    let bounded = system.spawn(|| Bounded::<String> { items: Vec::new() });
    let _: Result<(), SendError> = bounded.push("x".into()).send();
}
