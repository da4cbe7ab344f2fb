use phyx::prelude::*;

struct Store;

#[process]
impl Store {
    #[public]
    #[cache(ttl = "1s", capacty = 10)]
    fn get(&self, key: u32) -> u32 {
        key
    }
}

fn main() {}
