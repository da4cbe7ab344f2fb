//! Every shape `#[cache]` supports.

use std::collections::HashMap;
use std::hash::Hash;

use phyx::prelude::*;

#[derive(Default)]
struct Store {
    items: HashMap<(u32, String), u64>,
}

type Answer<T> = Result<T, String>;

#[process]
impl Store {
    #[public]
    #[cache(ttl = "30s", capacity = 10_000, invalidated_by = [put, clear])]
    fn get(&self, id: u32, name: String) -> Option<u64> {
        self.items.get(&(id, name)).copied()
    }

    #[public]
    #[cache(ttl = "1m")]
    fn count(&self) -> usize {
        self.items.len()
    }

    #[public]
    #[cache(ttl = "5s", errors, invalidated_by = put)]
    fn checked(&self, id: u32) -> Answer<u64> {
        self.items.keys().find(|(key, _)| *key == id).map(|_| 1).ok_or_else(|| "missing".into())
    }

    #[public]
    #[cache(ttl = "5s")]
    async fn slow(&self, ctx: &mut Ctx<Self>, id: u32) -> u32 {
        ctx.sleep(std::time::Duration::from_millis(1)).await;
        id
    }

    #[public]
    #[cache(ttl = "5s")]
    fn later(&self, id: u32, reply: Reply<u32>) {
        reply.send(id);
    }

    #[public]
    #[cache(ttl = "5s")]
    #[validate(with = nonzero)]
    #[rate_limit(per_second = 100)]
    fn guarded(&self, id: u32) -> u32 {
        id
    }

    #[public]
    fn put(&mut self, id: u32, name: String, value: u64) {
        self.items.insert((id, name), value);
    }

    #[public]
    fn clear(&mut self) {
        self.items.clear();
    }
}

fn nonzero(id: &u32) -> Result<(), &'static str> {
    if *id == 0 { Err("zero") } else { Ok(()) }
}

/// A generic process: the key and the reply name its parameters.
struct Typed<K, V> {
    items: HashMap<K, V>,
}

#[process]
impl<K: Hash + Eq + Clone + Send + 'static, V: Clone + Send + 'static> Typed<K, V> {
    #[public]
    #[cache(ttl = "1s", invalidated_by = insert)]
    fn get(&self, key: K) -> Option<V> {
        self.items.get(&key).cloned()
    }

    #[public]
    fn insert(&mut self, key: K, value: V) {
        self.items.insert(key, value);
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let system = System::new();
    let store = system.spawn(Store::default);
    let _: Result<Option<u64>, CallError> = store.get(1, "a".into()).await;
    let _: Result<usize, CallError> = store.count().await;
    let _: Result<Answer<u64>, CallError> = store.checked(1).await;
    let _: Result<u32, CallError> = store.slow(1).await;
    let _: Result<u32, CallError> = store.later(1).await;
    let _: Result<u32, CallError> = store.guarded(1).await;
    let typed = system.spawn(|| Typed::<String, Vec<u8>> { items: HashMap::new() });
    let _: Result<Option<Vec<u8>>, CallError> = typed.get("a".into()).await;
}
