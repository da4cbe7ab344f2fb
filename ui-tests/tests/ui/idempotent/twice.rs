use phyx::prelude::*;

struct Payments;

#[process]
impl Payments {
    #[public]
    #[idempotent(key = order, window = "10m")]
    #[idempotent(key = order, window = "1h")]
    fn charge(&mut self, order: String) {
        let _ = order;
    }
}

fn main() {}
