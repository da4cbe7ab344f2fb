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
    fn release(&mut self, key: StepKey, item: String) {
        let _ = (key, item);
    }
}

fn main() {}
