//! The counter from the README: tells, asks, a timeout, and a crash the
//! process recovers from.
//!
//! Run with `cargo run --example quickstart`.

use std::time::Duration;

use phyx::CallError;
use phyx::prelude::*;

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

/// What the run saw.
#[derive(Debug)]
pub struct Summary {
    /// The count after a tell of 2 and an ask of 3.
    pub count: u64,
    /// `slow_get` asked with a timeout shorter than its sleep.
    pub slow_get: Result<u64, CallError>,
    /// `divide(0)`: the panic, as its caller sees it.
    pub divide: Result<u64, CallError>,
    /// The count after the restart and one more increment.
    pub after_restart: u64,
}

pub async fn run(system: &System) -> Result<Summary, CallError> {
    let counter: CounterRef = system.spawn(Counter::default);

    counter.increment(2).send()?; // tell: fire and forget
    counter.increment(3).await?; // ask: waits until handled
    let count = counter.get().timeout(Duration::from_millis(100)).await?;
    println!("count after 2 + 3: {count}");

    let slow_get = counter
        .slow_get(Duration::from_millis(200))
        .timeout(Duration::from_millis(50))
        .await;
    match &slow_get {
        Err(error) => println!("slow_get: {error}"),
        Ok(n) => println!("slow_get returned {n} in time"),
    }

    // The panic crashes only this process; its caller gets the message.
    let divide = counter.divide(0).await;
    match &divide {
        Err(error) => println!("divide(0): {error}"),
        Ok(n) => println!("divide(0) returned {n}"),
    }

    // Same handle, new instance with fresh state from `Counter::default`.
    counter.increment(1).await?;
    let after_restart = counter.get().await?;
    println!("count after the restart and one increment: {after_restart}");

    Ok(Summary {
        count,
        slow_get,
        divide,
        after_restart,
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
