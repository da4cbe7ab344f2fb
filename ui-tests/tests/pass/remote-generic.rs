//! A generic `#[process(remote)]`: the type parameters that its messages
//! carry are bounded serde by the user (serde's two traits, or
//! `phyx::cluster::Wire`), as any other bound a message needs.

use std::collections::BTreeMap;

use phyx::cluster::Wire;
use phyx::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

pub struct Store<K, V> {
    entries: BTreeMap<K, V>,
}

#[process(remote)]
impl<K, V> Store<K, V>
where
    K: Ord + Serialize + DeserializeOwned,
    V: Clone + Serialize + DeserializeOwned,
{
    #[public]
    pub fn put(&mut self, key: K, value: V) -> Option<V> {
        self.entries.insert(key, value)
    }

    #[public]
    pub fn get(&self, key: K) -> Option<V> {
        self.entries.get(&key).cloned()
    }

    #[public]
    pub fn values(&self, reply: Reply<Vec<V>>) {
        reply.send(self.entries.values().cloned().collect());
    }

    #[public]
    pub fn len(&self) -> usize {
        self.entries.len()
    }
}

/// Bounded by `phyx::cluster::Wire`, which stands for serde's two.
pub struct Queue<T> {
    items: Vec<T>,
}

#[process(remote)]
impl<T: Wire> Queue<T> {
    #[public]
    pub fn push(&mut self, item: T) -> usize {
        self.items.push(item);
        self.items.len()
    }

    #[public]
    pub fn pop(&mut self) -> Option<T> {
        self.items.pop()
    }
}

/// A type parameter that no message carries needs no serde bound.
pub struct Tagged<T> {
    count: u32,
    _tag: std::marker::PhantomData<T>,
}

#[process(remote)]
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
    let store: StoreRef<String, u32> = system.spawn(|| Store { entries: BTreeMap::new() });
    assert_eq!(store.put("a".into(), 1).await.unwrap(), None);
    assert_eq!(store.get("a".into()).await.unwrap(), Some(1));
    assert_eq!(store.values().await.unwrap(), vec![1]);
    assert_eq!(store.len().await.unwrap(), 1);
    let queue: QueueRef<(u8, String)> = system.spawn(|| Queue { items: Vec::new() });
    assert_eq!(queue.push((1, "one".into())).await.unwrap(), 1);
    assert_eq!(queue.pop().await.unwrap(), Some((1, "one".into())));
    let tagged: TaggedRef<fn()> = system.spawn(|| Tagged { count: 0, _tag: std::marker::PhantomData });
    assert_eq!(tagged.bump().await.unwrap(), 1);
    system.shutdown().await;
}
