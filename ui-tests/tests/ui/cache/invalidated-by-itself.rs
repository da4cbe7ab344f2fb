use phyx::prelude::*;

struct Store;

#[process]
impl Store {
    #[public]
    #[cache(ttl = "1s", invalidated_by = get)]
    fn get(&self, key: u32) -> u32 {
        key
    }
}

fn main() {}
