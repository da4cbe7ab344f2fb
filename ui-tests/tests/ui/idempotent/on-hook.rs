use phyx::prelude::*;

struct Payments;

#[process]
impl Payments {
    #[on_start]
    #[idempotent(key = order, window = "10m")]
    fn started(&mut self) {}

    #[public]
    fn charge(&mut self, order: String) {
        let _ = order;
    }
}

fn main() {}
