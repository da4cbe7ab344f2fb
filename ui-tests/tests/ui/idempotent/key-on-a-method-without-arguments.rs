use phyx::prelude::*;

struct Payments;

#[process]
impl Payments {
    #[public]
    #[idempotent(key = order, window = "10m")]
    fn charge_all(&mut self, ctx: &mut Ctx<Self>) -> u64 {
        let _ = ctx;
        0
    }
}

fn main() {}
