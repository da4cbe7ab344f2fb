use std::collections::BTreeMap;

use phyx::prelude::*;

pub struct Store<K, V> {
    entries: BTreeMap<K, V>,
}

#[process(remote)]
impl<K: Ord, V: Clone> Store<K, V> {
    #[public]
    pub fn put(&mut self, key: K, value: V) -> Option<V> {
        self.entries.insert(key, value)
    }
}

fn main() {}
