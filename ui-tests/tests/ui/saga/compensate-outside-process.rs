use phyx::prelude::*;

struct Inventory;

impl Inventory {
    #[compensate(release)]
    fn reserve(&mut self, quantity: u32) -> Result<u32, String> {
        Ok(quantity)
    }
}

fn main() {}
