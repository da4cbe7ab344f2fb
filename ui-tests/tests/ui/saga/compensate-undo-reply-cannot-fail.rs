use phyx::prelude::*;

struct Inventory;

#[process]
impl Inventory {
    #[public]
    #[compensate(release)]
    fn reserve(&mut self, quantity: u32) -> Result<u32, String> {
        Ok(quantity)
    }

    #[public]
    fn release(&mut self, quantity: u32) -> u32 {
        quantity
    }
}

fn main() {}
