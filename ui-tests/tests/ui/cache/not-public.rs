use phyx::prelude::*;

struct Store;

#[process]
impl Store {
    #[cache(ttl = "1s")]
    fn get(&self, key: u32) -> u32 {
        key
    }
}

fn main() {}
