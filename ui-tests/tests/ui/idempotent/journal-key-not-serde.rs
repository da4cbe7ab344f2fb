use phyx::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct OrderId(pub u64);

#[derive(Serialize, Deserialize)]
pub struct Charged(u64);

#[derive(Default)]
struct Till {
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
    fn charge(&mut self, order: OrderId, cents: u64) -> u64 {
        let _ = order;
        cents
    }
}

fn main() {}
