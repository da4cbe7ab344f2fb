use phyx::prelude::*;

struct Store;

#[process]
impl Store {
    #[public]
    #[cache(ttl = "0s")]
    fn get(&self, key: u32) -> u32 {
        key
    }
}

fn main() {}
