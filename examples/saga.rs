//! An order as a saga across three processes.
//!
//! Reserve stock, charge the card, ship. The first order goes through. The
//! second finds no courier: the saga refunds the charge, then releases the
//! reservation (last step first), and the error says what happened. Every
//! step and undo carries the step's key, so a retried undo is harmless.
//!
//! Run with `cargo run --example saga`.

use std::collections::BTreeMap;

use phyx::prelude::*;
use phyx::{event::EventKind, saga::Saga};

pub struct Inventory {
    stock: u32,
    reservations: BTreeMap<StepKey, u32>,
}

#[process]
impl Inventory {
    #[public]
    #[compensate(release)]
    pub fn reserve(&mut self, key: StepKey, quantity: u32) -> Result<u32, String> {
        if quantity > self.stock {
            return Err(format!("only {} in stock", self.stock));
        }
        self.stock -= quantity;
        self.reservations.insert(key, quantity);
        Ok(quantity)
    }

    /// Idempotent: releasing a step twice, or one never reserved, does nothing.
    #[public]
    pub fn release(&mut self, key: StepKey, quantity: u32) {
        if self.reservations.remove(&key).is_some() {
            self.stock += quantity;
        }
    }

    #[public]
    pub fn stock(&self) -> u32 {
        self.stock
    }
}

#[derive(Default)]
pub struct Payment {
    charges: BTreeMap<StepKey, u64>,
}

#[process]
impl Payment {
    #[public]
    #[compensate(refund)]
    pub fn charge(&mut self, key: StepKey, cents: u64) -> Result<u64, String> {
        self.charges.insert(key, cents);
        Ok(cents)
    }

    #[public]
    pub fn refund(&mut self, key: StepKey) {
        self.charges.remove(&key);
    }

    #[public]
    pub fn total(&self) -> u64 {
        self.charges.values().sum()
    }
}

#[derive(Default)]
pub struct Shipping {
    shipped: Vec<String>,
}

#[process]
impl Shipping {
    #[public]
    pub fn ship(&mut self, address: String) -> Result<String, String> {
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
    pub fn open(system: &System) -> Self {
        Self {
            inventory: system.spawn(|| Inventory {
                stock: 5,
                reservations: BTreeMap::new(),
            }),
            payment: system.spawn(Payment::default),
            shipping: system.spawn(Shipping::default),
        }
    }

    /// One order: the saga's steps, in order. The caller commits.
    pub async fn order(&self, saga: &mut Saga, quantity: u32, address: &str) -> Result<String, SagaError> {
        saga.step(|key| self.inventory.reserve(key, quantity)).await?;
        saga.step(|key| self.payment.charge(key, 1_250 * u64::from(quantity)))
            .await?;
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
    let shop = Shop::open(system);
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

#[tokio::main]
async fn main() -> Result<(), phyx::CallError> {
    let system = System::builder()
        .on_event(|event| {
            if let EventKind::SagaStep { .. } | EventKind::Compensation { .. } = event.kind {
                println!("  event: {event}");
            }
        })
        .build();
    run(&system).await?;
    system.shutdown().await;
    Ok(())
}
