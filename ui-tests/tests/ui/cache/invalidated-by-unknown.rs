use phyx::prelude::*;

struct Store;

#[process]
impl Store {
    #[public]
    #[cache(ttl = "1s", invalidated_by = [sett])]
    fn get(&self, key: u32) -> u32 {
        key
    }

    #[public]
    fn set(&mut self, key: u32) {
        let _ = key;
    }
}

fn main() {}
