use std::collections::HashMap;
use std::hash::Hash;

use phyx::prelude::*;

pub struct Cache<K, V> {
    entries: HashMap<K, V>,
}

#[process]
impl<K: Hash + Eq + Clone, V: Clone> Cache<K, V> {
    #[public]
    pub fn put(&mut self, key: K, value: V) -> Option<V> {
        self.entries.insert(key, value)
    }

    #[public]
    pub fn get(&self, key: K) -> Option<V> {
        self.entries.get(&key).cloned()
    }
}

/// A type parameter that appears in no message still compiles.
pub struct Tagged<T> {
    count: u32,
    _tag: std::marker::PhantomData<T>,
}

#[process]
impl<T> Tagged<T> {
    #[public]
    pub fn bump(&mut self) -> u32 {
        self.count += 1;
        self.count
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let system = System::new();
    let cache: CacheRef<String, u32> = system.spawn(|| Cache { entries: HashMap::new() });
    assert_eq!(cache.put("a".into(), 1).await.unwrap(), None);
    assert_eq!(cache.get("a".into()).await.unwrap(), Some(1));
    let tagged: TaggedRef<fn()> = system.spawn(|| Tagged { count: 0, _tag: std::marker::PhantomData });
    assert_eq!(tagged.bump().await.unwrap(), 1);
    system.shutdown().await;
}
