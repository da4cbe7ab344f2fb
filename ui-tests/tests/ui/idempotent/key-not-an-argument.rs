use phyx::prelude::*;

struct Payments;

#[process]
impl Payments {
    #[public]
    #[idempotent(key = order_id, window = "10m")]
    fn charge(&mut self, order: String, cents: u64) -> u64 {
        let _ = order;
        cents
    }
}

fn main() {}
