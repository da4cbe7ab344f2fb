//! A durable process: its tells go through a JetStream stream; a method
//! may take the `Envelope` its message came in, anywhere in its list, and
//! callers do not pass it.

use std::collections::BTreeSet;

use phyx::prelude::*;
use phyx::Envelope;

#[derive(Default)]
pub struct Ledger {
    total: u64,
    done: BTreeSet<String>,
}

#[process(remote, durable)]
impl Ledger {
    #[public]
    pub fn credit(&mut self, envelope: Envelope, amount: u64) {
        if let Some(id) = envelope.id() {
            if !self.done.insert(id.to_owned()) {
                return;
            }
        }
        self.total += amount;
    }

    #[public]
    pub async fn audit(&self, ctx: &mut Ctx<Self>, envelope: Envelope) -> u64 {
        let _ = (ctx.myself(), envelope.attempt(), envelope.is_redelivery());
        self.total
    }

    #[public]
    pub fn total(&self) -> u64 {
        self.total
    }
}

/// A local process may take one too: its messages have no id.
#[derive(Default)]
pub struct Local;

#[process]
impl Local {
    #[public]
    pub fn seen(&self, envelope: Envelope) -> bool {
        envelope.id().is_none() && envelope.attempt() == 1
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let system = System::new();
    let ledger: LedgerRef = system.spawn(Ledger::default);
    ledger.credit(5).await.unwrap();
    ledger.credit(2).send().unwrap();
    assert_eq!(ledger.audit().await.unwrap(), 7);
    assert_eq!(ledger.total().await.unwrap(), 7);
    let local: LocalRef = system.spawn(Local::default);
    assert!(local.seen().await.unwrap());
    system.shutdown().await;
}
