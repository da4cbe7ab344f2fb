use phyx::prelude::*;

struct Payments;

#[process]
impl Payments {
    #[public]
    #[idempotent(key = order)]
    fn charge(&mut self, order: String) {
        let _ = order;
    }
}

fn main() {}
