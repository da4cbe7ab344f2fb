use std::rc::Rc;

use phyx::prelude::*;

struct Payments;

#[process]
impl Payments {
    #[public]
    #[idempotent(key = order, window = "10m")]
    fn charge(&mut self, order: String) -> Rc<u64> {
        let _ = order;
        Rc::new(1)
    }
}

fn main() {}
