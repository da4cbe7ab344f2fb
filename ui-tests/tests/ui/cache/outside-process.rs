use phyx::prelude::*;

struct Store;

impl Store {
    #[cache(ttl = "1s")]
    fn get(&self, key: u32) -> u32 {
        key
    }
}

fn main() {}
