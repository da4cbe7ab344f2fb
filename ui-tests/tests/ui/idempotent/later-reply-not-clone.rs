use phyx::prelude::*;
use phyx::Reply;

pub struct Receipt {
    pub cents: u64,
}

struct Payments;

#[process]
impl Payments {
    #[public]
    #[idempotent(key = order, window = "10m")]
    fn charge(&mut self, order: String, cents: u64, reply: Reply<Receipt>) {
        let _ = order;
        reply.send(Receipt { cents });
    }
}

fn main() {}
