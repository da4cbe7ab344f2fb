//! A three-level supervision tree with a flaky child that recovers.
//!
//! `Shop` supervises `Inventory` and a nested `Payments` supervisor, which
//! supervises a flaky `Gateway`. The gateway fails its first two charges;
//! its supervisor restarts it with backoff, the handles keep working, and
//! the third charge goes through.
//!
//! Run with `cargo run --example supervision`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use phyx::prelude::*;
use phyx::{CallError, event::EventKind};

#[derive(Default)]
pub struct Inventory {
    reserved: u32,
}

#[process]
impl Inventory {
    /// Reserves `n` items; returns how many are reserved.
    #[public]
    pub fn reserve(&mut self, n: u32) -> u32 {
        self.reserved += n;
        self.reserved
    }
}

/// A payment gateway whose connection drops on the first two charges.
pub struct Gateway {
    attempts: Arc<AtomicU32>,
}

#[process]
impl Gateway {
    /// Charges `cents`; returns a receipt.
    #[public]
    pub fn charge(&mut self, cents: u64) -> String {
        let attempt = self.attempts.fetch_add(1, Ordering::SeqCst) + 1;
        assert!(attempt > 2, "connection reset on attempt {attempt}");
        format!("receipt for {cents} cents (attempt {attempt})")
    }
}

#[derive(Clone, Default)]
pub struct Payments {
    attempts: Arc<AtomicU32>,
}

#[supervisor(strategy = one_for_one, max_restarts = 5, within = "10s")]
impl Payments {
    #[child(backoff(initial = "50ms", max = "1s"))]
    pub fn gateway(&self) -> Gateway {
        Gateway {
            attempts: self.attempts.clone(),
        }
    }
}

#[derive(Clone, Default)]
pub struct Shop;

#[supervisor(strategy = rest_for_one, max_restarts = 3, within = "5s")]
impl Shop {
    #[child]
    pub fn inventory(&self) -> Inventory {
        Inventory::default()
    }

    #[child]
    pub fn payments(&self) -> Payments {
        Payments::default()
    }
}

/// What the run saw.
#[derive(Debug)]
pub struct Summary {
    /// The three charges, through the same gateway handle.
    pub charges: Vec<Result<String, CallError>>,
    /// Items reserved before and after the gateway's crashes.
    pub reserved: (u32, u32),
    /// Restarts of the gateway, from the system's events.
    pub gateway_restarts: usize,
}

pub async fn run(system: &System) -> Result<Summary, CallError> {
    let mut events = system.events();
    let shop = system.spawn(|| Shop);
    let gateway = shop.payments().gateway(); // valid across every restart

    let before = shop.inventory().reserve(2).await?;
    println!("reserved: {before}");
    let mut charges = Vec::new();
    for attempt in 1..=3 {
        let charge = gateway.charge(1999).await;
        match &charge {
            Ok(receipt) => println!("charge {attempt}: {receipt}"),
            Err(error) => println!("charge {attempt} failed: {error}"),
        }
        charges.push(charge);
    }
    let after = shop.inventory().reserve(1).await?;
    println!("inventory untouched by the gateway's crashes: {after}");

    let mut gateway_restarts = 0;
    while let Some(event) = events.try_recv() {
        match event.kind {
            EventKind::Restarting { .. } if &*event.name == "gateway" => gateway_restarts += 1,
            EventKind::Panicked { .. } | EventKind::Escalated { .. } => {}
            _ => continue,
        }
        println!("  event: {event}");
    }
    Ok(Summary {
        charges,
        reserved: (before, after),
        gateway_restarts,
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
