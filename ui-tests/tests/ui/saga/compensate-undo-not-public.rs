use phyx::prelude::*;

struct Inventory;

#[process]
impl Inventory {
    #[public]
    #[compensate(release)]
    fn reserve(&mut self, quantity: u32) -> Result<u32, String> {
        Ok(quantity)
    }

    fn release(&mut self, quantity: u32) {
        let _ = quantity;
    }
}

fn main() {}
