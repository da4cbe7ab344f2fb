//! Supervision with backoff and a restart limit.
//!
//! A worker connects to its database when it starts; a failed connection
//! is a crash, and the worker restarts after an exponential backoff (20 ms,
//! doubling, ±10% jitter from the system's seed). The `orders` database
//! refuses three connections, then accepts: the worker recovers and the
//! query that waited in its mailbox is answered. The `reports` database
//! never comes back: after 5 restarts within 10 s the worker gives up, and
//! its caller hears that it stopped.
//!
//! Run with `cargo run --example backoff`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use phyx::prelude::*;
use phyx::{CallError, SpawnOptions, event::EventKind};

/// A database that refuses its first `down_for` connections.
pub struct Database {
    down_for: u32,
    attempts: AtomicU32,
}

impl Database {
    fn connect(&self) -> Result<(), String> {
        let attempt = self.attempts.fetch_add(1, Ordering::SeqCst) + 1;
        if attempt <= self.down_for {
            return Err(format!("connection refused (attempt {attempt})"));
        }
        Ok(())
    }
}

pub struct Worker {
    db: Arc<Database>,
}

#[process(
    backoff(initial = "20ms", max = "1s", factor = 2.0, jitter = 0.1),
    max_restarts = 5,
    within = "10s"
)]
impl Worker {
    /// Runs at every start; an `Err` is a crash.
    #[on_start]
    fn connect(&mut self) -> Result<(), String> {
        self.db.connect()
    }

    #[public]
    pub fn query(&self, sql: String) -> String {
        format!("rows for `{sql}`")
    }
}

/// What happened to one worker.
#[derive(Debug)]
pub struct Outcome {
    /// The backoff before each restart.
    pub delays: Vec<Duration>,
    /// Whether it gave up: more restarts than its limit.
    pub gave_up: bool,
    /// The query sent right after spawning it.
    pub reply: Result<String, CallError>,
}

async fn serve(system: &System, name: &str, down_for: u32) -> Outcome {
    let mut events = system.events();
    let db = Arc::new(Database {
        down_for,
        attempts: AtomicU32::new(0),
    });
    let worker: WorkerRef = system.spawn_with(move || Worker { db: db.clone() }, SpawnOptions::new().name(name));
    // Queued while the worker is down; answered once it is up.
    let reply = worker.query("select * from orders".into()).await;
    let (mut delays, mut gave_up) = (Vec::new(), false);
    while let Some(event) = events.try_recv() {
        match event.kind {
            EventKind::StartFailed { .. } | EventKind::RestartLimitReached { .. } => println!("  {event}"),
            EventKind::Restarting { delay, .. } => {
                println!("  {event}");
                delays.push(delay);
            }
            _ => continue,
        }
        gave_up |= matches!(event.kind, EventKind::RestartLimitReached { .. });
    }
    match &reply {
        Ok(rows) => println!("{name}: recovered, {rows}"),
        Err(error) => println!("{name}: {error}"),
    }
    Outcome { delays, gave_up, reply }
}

pub async fn run(system: &System) -> (Outcome, Outcome) {
    (
        serve(system, "orders", 3).await,
        serve(system, "reports", u32::MAX).await,
    )
}

#[tokio::main]
async fn main() {
    // This example crashes processes on purpose: keep the panics phyx
    // catches (and reports to callers and in events) off stderr.
    phyx::hide_caught_panics();
    let system = System::builder().seed(7).build();
    run(&system).await;
    system.shutdown().await;
}
