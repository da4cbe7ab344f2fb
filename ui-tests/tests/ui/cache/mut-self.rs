use phyx::prelude::*;

struct Store {
    hits: u32,
}

#[process]
impl Store {
    #[public]
    #[cache(ttl = "1s")]
    fn get(&mut self, key: u32) -> u32 {
        self.hits += 1;
        key
    }
}

fn main() {}
