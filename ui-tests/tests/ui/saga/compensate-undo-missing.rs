use phyx::prelude::*;

struct Inventory;

#[process]
impl Inventory {
    #[public]
    #[compensate(relase)]
    fn reserve(&mut self, quantity: u32) -> Result<u32, String> {
        Ok(quantity)
    }

    #[public]
    fn release(&mut self, quantity: u32) {
        let _ = quantity;
    }
}

fn main() {}
