use phyx::prelude::*;

struct Inventory;

#[process]
impl Inventory {
    #[public]
    #[compensate(release)]
    fn reserve(&mut self, quantity: u32) -> u32 {
        quantity
    }

    #[public]
    fn release(&mut self, quantity: u32) {
        let _ = quantity;
    }
}

fn main() {}
