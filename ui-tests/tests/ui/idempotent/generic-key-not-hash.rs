use phyx::prelude::*;

pub struct Registry<K> {
    seen: Vec<K>,
}

#[process]
impl<K: Clone + Send + 'static> Registry<K> {
    #[public]
    #[idempotent(key = key, window = "1m")]
    pub fn add(&mut self, key: K) -> usize {
        self.seen.push(key);
        self.seen.len()
    }
}

fn main() {}
