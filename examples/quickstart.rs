//! The counter from the README: tells, asks, a timeout, and a crash the
//! process recovers from.
//!
//! Run with `cargo run --example quickstart`.

use std::time::Duration;

use phyx::prelude::*;
use phyx::{CallError, EventKind};

#[derive(Default)]
pub struct Counter {
    count: u64,
}

#[process]
impl Counter {
    /// Adds `by` to the count.
    #[public]
    pub fn increment(&mut self, by: u64) {
        self.count += by;
    }

    /// The count so far.
    #[public]
    pub fn get(&self) -> u64 {
        self.count
    }

    /// The count, after waiting `d`.
    #[public]
    pub async fn slow_get(&self, ctx: &mut Ctx<Self>, d: Duration) -> u64 {
        ctx.sleep(d).await;
        self.count
    }

    /// Divides the count; dividing by zero panics and crashes the process.
    #[public]
    pub fn divide(&mut self, by: u64) -> u64 {
        self.count /= by;
        self.count
    }
}

#[tokio::main]
async fn main() -> Result<(), CallError> {
    let system = System::new();
    let mut events = system.events();
    let counter: CounterRef = system.spawn(Counter::default);

    counter.increment(2).send()?; // tell: fire and forget
    counter.increment(3).await?; // ask: waits until handled
    let n = counter.get().timeout(Duration::from_millis(100)).await?;
    println!("count after 2 + 3: {n}");

    match counter
        .slow_get(Duration::from_millis(200))
        .timeout(Duration::from_millis(50))
        .await
    {
        Err(error @ CallError::Timeout { .. }) => println!("slow_get: {error}"),
        other => println!("slow_get unexpectedly returned {other:?}"),
    }

    // The panic crashes only this process; its caller gets the message.
    match counter.divide(0).await {
        Err(error @ CallError::Panicked { .. }) => println!("divide(0): {error}"),
        other => println!("divide(0) unexpectedly returned {other:?}"),
    }

    // Same handle, new instance with fresh state from `Counter::default`.
    counter.increment(1).await?;
    println!("count after the restart and one increment: {}", counter.get().await?);

    system.shutdown().await;
    while let Some(event) = events.recv().await {
        if !matches!(event.kind, EventKind::Custom(_)) {
            println!("event: {event}");
        }
    }
    Ok(())
}
