//! Generated code raises no warning, even under clippy's pedantic lints
//! (checked by `cargo clippy --all-targets -- -D warnings` in CI).
#![deny(warnings, clippy::pedantic, missing_docs, unreachable_pub)]

use std::collections::HashMap;
use std::hash::Hash;
use std::time::Duration;

use phyx::StopReason;
use phyx::prelude::*;

/// A cache with every kind of handler.
#[derive(Default)]
pub struct Cache<K, V> {
    entries: HashMap<K, V>,
}

#[process(mailbox = 16, overflow = drop_oldest, restart = permanent, max_restarts = 3, within = "1m", shutdown = "1s",
          backoff(initial = "10ms", max = "1s", factor = 3, jitter = 0.5))]
impl<K: Hash + Eq + Clone + Sync, V: Clone + Sync> Cache<K, V> {
    /// Stores `value` under `key`.
    #[public]
    pub fn put(&mut self, key: K, value: V) -> Option<V> {
        self.entries.insert(key, value)
    }

    /// The value under `key`, after `delay`.
    #[public]
    pub async fn get(&self, ctx: &mut Ctx<Self>, key: K, delay: Duration) -> Option<V> {
        ctx.sleep(delay).await;
        self.entries.get(&key).cloned()
    }

    /// How many entries, through a `Reply`.
    #[public]
    pub fn len_later(&self, reply: Reply<usize>) {
        reply.send(self.entries.len());
    }

    /// Stores `value` under `key`, once a minute.
    #[public]
    #[idempotent(key = key, window = "1m", capacity = 1000)]
    pub fn put_once(&mut self, key: K, value: V) -> Option<V> {
        self.entries.insert(key, value)
    }

    /// How many entries, through a `Reply`, once per `request`.
    #[public]
    #[idempotent(key = request, window = "1m")]
    pub fn len_once(&self, request: u64, reply: Reply<usize>) {
        reply.send(self.entries.len() + usize::from(request == u64::MAX));
    }

    /// Forgets everything.
    #[public]
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// How many entries, traced.
    #[public]
    #[trace]
    pub async fn traced_len(&self, ctx: &mut Ctx<Self>) -> usize {
        ctx.sleep(Duration::ZERO).await;
        self.entries.len()
    }

    /// How many entries, traced, through a `Reply`.
    #[public]
    #[trace]
    pub fn traced_len_later(&self, reply: Reply<usize>) {
        reply.send(self.entries.len());
    }

    #[on_start]
    async fn warm_up(&mut self, ctx: &mut Ctx<Self>) -> Result<(), String> {
        ctx.sleep(Duration::ZERO).await;
        Ok(())
    }

    #[on_stop]
    fn flush(&mut self, _ctx: &mut Ctx<Self>, _reason: StopReason) {
        self.entries.clear();
    }

    #[health_check]
    async fn health(&self, ctx: &mut Ctx<Self>) -> Health {
        ctx.sleep(Duration::ZERO).await;
        if self.entries.is_empty() {
            Health::degraded("empty")
        } else {
            Health::healthy()
        }
    }
}

/// A process with no public method at all (as private as its handle).
struct Silent;

#[process]
impl Silent {}

/// A remote process: its wire form raises no warning either.
#[derive(Default)]
pub struct Tally {
    count: u64,
    notes: Vec<String>,
}

#[process(remote)]
impl Tally {
    /// Adds `by`, noting why.
    ///
    /// # Errors
    ///
    /// If the count would overflow.
    #[public]
    pub fn add(&mut self, by: u64, note: String) -> Result<u64, String> {
        self.notes.push(note);
        self.count = self.count.checked_add(by).ok_or("overflow")?;
        Ok(self.count)
    }

    /// The count, through a `Reply`.
    #[public]
    pub fn get(&self, reply: Reply<u64>) {
        reply.send(self.count);
    }

    #[health_check]
    fn health(&self) -> Health {
        Health::healthy().with_detail(format!("{} counted", self.count))
    }

    #[on_down]
    fn down(&mut self, _down: Down) {
        self.notes.clear();
    }
}

#[tokio::test]
async fn a_pedantic_process_works() {
    let system = System::new();
    let cache: CacheRef<String, u32> = system.spawn(Cache::default);
    assert_eq!(cache.put("a".into(), 1).await, Ok(None));
    assert_eq!(cache.get("a".into(), Duration::ZERO).await, Ok(Some(1)));
    assert_eq!(cache.len_later().await, Ok(1));
    assert_eq!(cache.traced_len().await, Ok(1));
    assert_eq!(cache.traced_len_later().await, Ok(1));
    cache.clear().send().unwrap();
    cache.clear().send_every(Duration::from_secs(1)).unwrap().cancel();
    let tally: TallyRef = system.spawn(Tally::default);
    assert_eq!(tally.add(2, "two".into()).await, Ok(Ok(2)));
    assert_eq!(tally.get().await, Ok(2));
    let silent: SilentRef = system.spawn(|| Silent);
    assert_eq!(silent.name(), "Silent");
    system.shutdown().await;
}
