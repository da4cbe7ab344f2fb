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
    fn release(&mut self, quantity: u32, key: StepKey) {
        let _ = (key, quantity);
    }
}

fn main() {}
