use phyx::prelude::*;

pub struct Receipt {
    pub cents: u64,
}

struct Payments;

#[process]
impl Payments {
    #[public]
    #[idempotent(key = order, window = "10m")]
    fn charge(&mut self, order: String, cents: u64) -> Receipt {
        let _ = order;
        Receipt { cents }
    }
}

fn main() {}
