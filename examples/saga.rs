//! An order as a saga across three processes, and a saga that survives
//! the death of its OS process.
//!
//! Reserve stock, charge the card, ship. The first order goes through. The
//! second finds no courier: the saga refunds the charge, then releases the
//! reservation (last step first), and the error says what happened. Every
//! step and undo carries the step's key, so a retried undo is harmless.
//!
//! Then a third order runs as a journaled saga in a second OS process (the
//! example starts a copy of itself), whose stock and payments are
//! event-sourced processes on a file journal. It is killed with SIGKILL
//! while the parcel is on its way, after the stock was reserved and the
//! card charged. Here, on the same journal, the order is resumed: the
//! reservation and the charge are not made again (the journal has them),
//! the shipping step is sent again under its key, and the saga commits.
//!
//! Run with `cargo run --example saga`.

use std::collections::BTreeMap;
use std::env;
use std::error::Error;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use phyx::journal::{FileJournal, MemoryJournal, PersistError};
use phyx::prelude::*;
use phyx::saga::{JournaledSaga, Resume};
use phyx::{event::EventKind, saga::Saga};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

/// What happens to the stock: the inventory's journal.
#[derive(Debug, Serialize, Deserialize)]
pub enum StockEvent {
    Reserved { key: String, quantity: u32 },
    Released { key: String },
}

/// Stock, and what each step reserved. Event-sourced, so that it outlives
/// its OS process as the saga's journal does.
pub struct Inventory {
    stock: u32,
    reservations: BTreeMap<String, u32>,
}

impl Default for Inventory {
    fn default() -> Self {
        Self {
            stock: 5,
            reservations: BTreeMap::new(),
        }
    }
}

#[process(journal)]
impl Inventory {
    #[apply]
    fn apply(&mut self, event: StockEvent) {
        match event {
            StockEvent::Reserved { key, quantity } => {
                self.stock -= quantity;
                self.reservations.insert(key, quantity);
            }
            StockEvent::Released { key } => {
                if let Some(quantity) = self.reservations.remove(&key) {
                    self.stock += quantity;
                }
            }
        }
    }

    /// Idempotent: a step reserved before (sent again) reserves nothing more.
    #[public]
    #[compensate(release)]
    pub async fn reserve(&mut self, ctx: &mut Ctx<Self>, key: StepKey, quantity: u32) -> Result<u32, String> {
        let key = key.to_string();
        if let Some(&reserved) = self.reservations.get(&key) {
            return Ok(reserved);
        }
        if quantity > self.stock {
            return Err(format!("only {} in stock", self.stock));
        }
        persisted(ctx.persist(self, StockEvent::Reserved { key, quantity }).await)?;
        Ok(quantity)
    }

    /// Idempotent: releasing a step twice, or one never reserved, does nothing.
    #[public]
    pub async fn release(&mut self, ctx: &mut Ctx<Self>, key: StepKey) -> Result<(), String> {
        let key = key.to_string();
        if self.reservations.contains_key(&key) {
            persisted(ctx.persist(self, StockEvent::Released { key }).await)?;
        }
        Ok(())
    }

    #[public]
    pub fn stock(&self) -> u32 {
        self.stock
    }
}

/// What happens to the money: the payment's journal.
#[derive(Debug, Serialize, Deserialize)]
pub enum PaymentEvent {
    Charged { key: String, cents: u64 },
    Refunded { key: String },
}

#[derive(Default)]
pub struct Payment {
    charges: BTreeMap<String, u64>,
}

#[process(journal)]
impl Payment {
    #[apply]
    fn apply(&mut self, event: PaymentEvent) {
        match event {
            PaymentEvent::Charged { key, cents } => {
                self.charges.insert(key, cents);
            }
            PaymentEvent::Refunded { key } => {
                self.charges.remove(&key);
            }
        }
    }

    /// Idempotent: a step charged before is not charged again.
    #[public]
    #[compensate(refund)]
    pub async fn charge(&mut self, ctx: &mut Ctx<Self>, key: StepKey, cents: u64) -> Result<u64, String> {
        let key = key.to_string();
        if let Some(&charged) = self.charges.get(&key) {
            return Ok(charged);
        }
        persisted(ctx.persist(self, PaymentEvent::Charged { key, cents }).await)?;
        Ok(cents)
    }

    #[public]
    pub async fn refund(&mut self, ctx: &mut Ctx<Self>, key: StepKey) -> Result<(), String> {
        let key = key.to_string();
        if self.charges.contains_key(&key) {
            persisted(ctx.persist(self, PaymentEvent::Refunded { key }).await)?;
        }
        Ok(())
    }

    #[public]
    pub fn total(&self) -> u64 {
        self.charges.values().sum()
    }
}

/// A persist's error as a step's: the saga compensates.
fn persisted(outcome: Result<(), PersistError>) -> Result<(), String> {
    outcome.map_err(|error| error.to_string())
}

/// Ships parcels, taking `delay` for each.
#[derive(Default)]
pub struct Shipping {
    shipped: Vec<String>,
    delay: Duration,
}

#[process]
impl Shipping {
    #[public]
    pub async fn ship(&mut self, ctx: &mut Ctx<Self>, address: String) -> Result<String, String> {
        if !self.delay.is_zero() {
            println!("courier: on the way to {address}");
        }
        ctx.sleep(self.delay).await;
        if address.contains("Atlantis") {
            return Err(format!("no courier delivers to {address}"));
        }
        self.shipped.push(address.clone());
        Ok(format!("parcel #{} to {address}", self.shipped.len()))
    }
}

/// The three processes an order touches.
pub struct Shop {
    pub inventory: InventoryRef,
    pub payment: PaymentRef,
    pub shipping: ShippingRef,
}

impl Shop {
    /// The shop on `system`, whose journal store keeps the stock and the
    /// payments; each parcel takes `shipping` to ship.
    pub fn open(system: &System, shipping: Duration) -> Self {
        Self {
            inventory: system.spawn(Inventory::default),
            payment: system.spawn(Payment::default),
            shipping: system.spawn(move || Shipping {
                shipped: Vec::new(),
                delay: shipping,
            }),
        }
    }

    /// One order: the saga's steps, in order. The caller commits.
    pub async fn order(&self, saga: &mut Saga, quantity: u32, address: &str) -> Result<String, SagaError> {
        saga.step(|key| self.inventory.reserve(key, quantity)).await?;
        saga.step(|key| self.payment.charge(key, 1_250 * u64::from(quantity)))
            .await?;
        saga.step(|_| self.shipping.ship(address.to_owned())).await
    }

    /// The same order as a journaled saga: after a restart, its recorded
    /// steps replay from the journal instead of being sent.
    pub async fn order_journaled(
        &self,
        saga: &mut JournaledSaga,
        quantity: u32,
        address: &str,
    ) -> Result<String, SagaError> {
        println!("  step 1: reserve");
        saga.step(|key| self.inventory.reserve(key, quantity)).await?;
        println!("  step 2: charge");
        saga.step(|key| self.payment.charge(key, 1_250 * u64::from(quantity)))
            .await?;
        println!("  step 3: ship");
        saga.step(|_| self.shipping.ship(address.to_owned())).await
    }
}

/// What [`run`] saw: each order's outcome, and what is left afterwards.
pub struct Summary {
    pub shipped: Vec<String>,
    pub failed: Vec<SagaError>,
    pub stock: u32,
    pub charged_cents: u64,
}

/// Two orders: the first ships; the second cannot be shipped, so its charge
/// is refunded and its reservation released.
pub async fn run(system: &System) -> Result<Summary, phyx::CallError> {
    let shop = Shop::open(system, Duration::ZERO);
    let mut summary = Summary {
        shipped: Vec::new(),
        failed: Vec::new(),
        stock: 0,
        charged_cents: 0,
    };
    for (id, quantity, address) in [("order-1", 2, "12 Main St"), ("order-2", 1, "1 Coral Way, Atlantis")] {
        println!("{id}: {quantity} item(s) to {address}");
        let mut saga = system.saga(id);
        match shop.order(&mut saga, quantity, address).await {
            Ok(parcel) => {
                saga.commit();
                println!("{id}: shipped {parcel}");
                summary.shipped.push(parcel);
            }
            Err(error) => {
                println!("{id}: {error}");
                summary.failed.push(error);
            }
        }
    }
    summary.stock = shop.inventory.stock().await?;
    summary.charged_cents = shop.payment.total().await?;
    println!(
        "stock left: {} of 5; charged in total: {} cents",
        summary.stock, summary.charged_cents
    );
    Ok(summary)
}

/// The third order, the one that outlives its OS process.
pub const ORDER: (&str, u32, &str) = ("order-3", 1, "7 Harbour Rd");

/// Set in the copy of the example that runs the third order until killed.
pub const CHILD_VAR: &str = "PHYX_SAGA_JOURNAL";

/// The child: starts the third order as a journaled saga on the journal in
/// `dir`, with a courier that takes a minute, and is killed on the way.
pub async fn child(dir: &Path) -> Result<(), Box<dyn Error>> {
    let system = System::builder().journal(FileJournal::open(dir)?).build();
    let shop = Shop::open(&system, Duration::from_secs(60));
    let (id, quantity, address) = ORDER;
    let mut saga = system.journaled_saga(id).await?;
    shop.order_journaled(&mut saga, quantity, address).await?;
    saga.commit().await?;
    Ok(())
}

/// What [`resume`] saw.
#[derive(Debug)]
pub struct Resumed {
    /// The sagas the journal held unfinished after the kill.
    pub unfinished: Vec<String>,
    /// Where the third order was when its OS process died.
    pub resume: Resume,
    /// Its parcel, shipped after the resume.
    pub parcel: String,
    /// What is left, and what was charged, once it committed.
    pub stock: u32,
    pub charged_cents: u64,
}

/// Runs `command` as the child on a journal in `dir`, kills it with
/// SIGKILL while its parcel is on the way, and resumes the order here.
pub async fn resume(dir: &Path, mut command: Command) -> Result<Resumed, Box<dyn Error>> {
    let mut child = command
        .env(CHILD_VAR, dir)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let mut lines = BufReader::new(child.stdout.take().ok_or("no stdout")?).lines();
    while let Some(line) = lines.next_line().await? {
        println!("child: {line}");
        if line.starts_with("courier:") {
            break;
        }
    }
    // The courier takes a minute: the shipping step is in flight.
    child.kill().await?;
    println!("child: killed with SIGKILL while shipping");

    let system = System::builder().journal(FileJournal::open(dir)?).build();
    let shop = Shop::open(&system, Duration::ZERO);
    let unfinished: Vec<String> = system
        .unfinished_sagas()
        .await?
        .iter()
        .map(ToString::to_string)
        .collect();
    println!("unfinished sagas: {unfinished:?}");
    let (id, quantity, address) = ORDER;
    let mut saga = system.journaled_saga(id).await?;
    let resume = saga.resume();
    println!("{id}: resumed at {resume:?}");
    let parcel = shop.order_journaled(&mut saga, quantity, address).await?;
    saga.commit().await?;
    println!("{id}: shipped {parcel}");
    let resumed = Resumed {
        unfinished,
        resume,
        parcel,
        stock: shop.inventory.stock().await?,
        charged_cents: shop.payment.total().await?,
    };
    println!(
        "stock left: {} of 5; charged: {} cents (once)",
        resumed.stock, resumed.charged_cents
    );
    system.shutdown().await;
    Ok(resumed)
}

async fn parent() -> Result<(), Box<dyn Error>> {
    // The first two orders' stock and payments in memory: they need not
    // outlive this OS process.
    let system = System::builder()
        .journal(MemoryJournal::new())
        .on_event(|event| {
            if let EventKind::SagaStep { .. } | EventKind::Compensation { .. } = event.kind {
                println!("  event: {event}");
            }
        })
        .build();
    run(&system).await?;
    system.shutdown().await;

    let dir = env::temp_dir().join(format!("phyx-saga-example-{}", std::process::id()));
    let resumed = resume(&dir, Command::new(env::current_exe()?)).await;
    let _ = std::fs::remove_dir_all(&dir);
    resumed.map(drop)
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let outcome = match env::var_os(CHILD_VAR) {
        Some(dir) => child(Path::new(&dir)).await,
        None => parent().await,
    };
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{error}");
            std::process::ExitCode::FAILURE
        }
    }
}
