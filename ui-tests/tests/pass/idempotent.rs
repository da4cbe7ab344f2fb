//! Every shape of an `#[idempotent]` method compiles: sync and async,
//! replying later, beside other guards, with a key of any argument's
//! place, in a generic process, a journaled one and a remote one.

use std::hash::Hash;
use std::sync::Arc;

use phyx::prelude::*;
use phyx::Reply;
use serde::{Deserialize, Serialize};

/// Not `Clone` itself: shared through an `Arc`.
pub struct Receipt {
    pub cents: u64,
}

#[derive(Default)]
pub struct Payments {
    charged: u64,
}

#[process]
impl Payments {
    /// Charges once per order.
    #[public]
    #[idempotent(key = order, window = "10m")]
    pub fn charge(&mut self, cents: u64, order: String) -> Result<u64, String> {
        self.charged += cents;
        Ok(self.charged)
    }

    #[public]
    #[idempotent(key = order, window = "1h30m", capacity = 100_000)]
    #[rate_limit(per_second = 10, key = order)]
    #[circuit_breaker(failures = 3)]
    pub async fn refund(&mut self, ctx: &mut Ctx<Self>, order: u64) -> Arc<Receipt> {
        ctx.sleep(std::time::Duration::from_millis(1)).await;
        Arc::new(Receipt { cents: order })
    }

    #[public]
    #[idempotent(key = order, window = "5s")]
    pub fn later(&mut self, order: (u32, String), reply: Reply<u64>) {
        reply.send(u64::from(order.0));
    }

    /// A tell: nothing to reply, still deduplicated.
    #[public]
    #[idempotent(key = _order, window = "1m")]
    pub fn note(&mut self, _order: u8) {}
}

pub struct Registry<K> {
    seen: Vec<K>,
}

#[process]
impl<K: Hash + Eq + Clone + Send + 'static> Registry<K> {
    #[public]
    #[idempotent(key = key, window = "1m")]
    pub fn add(&mut self, key: K) -> usize {
        self.seen.push(key);
        self.seen.len()
    }
}

#[derive(Serialize, Deserialize)]
pub struct Charged(u64);

#[derive(Clone, Serialize, Deserialize)]
pub struct Total(u64);

#[derive(Default)]
pub struct Till {
    total: u64,
}

#[process(journal)]
impl Till {
    #[apply]
    fn apply(&mut self, event: Charged) {
        self.total += event.0;
    }

    #[public]
    #[idempotent(key = order, window = "10m")]
    pub async fn charge(&mut self, ctx: &mut Ctx<Self>, order: String, cents: u64) -> Result<Total, String> {
        let _ = order;
        ctx.persist(self, Charged(cents)).await.map_err(|error| error.to_string())?;
        Ok(Total(self.total))
    }

    #[public]
    #[idempotent(key = order, window = "10m")]
    pub fn quote_later(&mut self, order: u64, reply: Reply<Total>) {
        reply.send(Total(order));
    }
}

#[derive(Default)]
pub struct Orders;

#[process(remote)]
impl Orders {
    #[public]
    #[idempotent(key = id, window = "10m")]
    pub fn place(&mut self, id: String) -> Option<u64> {
        id.parse().ok()
    }
}

fn main() {
    let _ = |payments: PaymentsRef, registry: RegistryRef<String>, till: TillRef, orders: OrdersRef| async move {
        payments.charge(5, "a".into()).await?.ok();
        payments.refund(1).await?;
        payments.later((1, "b".into())).await?;
        payments.note(3).send()?;
        registry.add("k".into()).await?;
        till.charge("a".into(), 1).await?.ok();
        till.quote_later(1).await?;
        orders.place("7".into()).await?;
        Ok::<(), Box<dyn std::error::Error>>(())
    };
}
