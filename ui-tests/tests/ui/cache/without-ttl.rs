use phyx::prelude::*;

struct Store;

#[process]
impl Store {
    #[public]
    #[cache(capacity = 10)]
    fn get(&self, key: u32) -> u32 {
        key
    }
}

fn main() {}
