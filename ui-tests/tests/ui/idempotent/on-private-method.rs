use phyx::prelude::*;

struct Payments;

#[process]
impl Payments {
    #[idempotent(key = order, window = "10m")]
    fn charge(&mut self, order: String) {
        let _ = order;
    }
}

fn main() {}
