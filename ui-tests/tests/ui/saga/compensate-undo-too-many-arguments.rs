use phyx::prelude::*;

struct Inventory;

#[process]
impl Inventory {
    #[public]
    #[compensate(release)]
    fn reserve(&mut self, key: StepKey, quantity: u32) -> Result<u32, String> {
        let _ = key;
        Ok(quantity)
    }

    #[public]
    fn release(&mut self, key: StepKey, item: String, quantity: u32) {
        let _ = (key, item, quantity);
    }
}

fn main() {}
