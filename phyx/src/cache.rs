//! `#[cache]`: replies kept at the caller, shared by every handle of a
//! process, so that a repeated call is answered without a message.
//!
//! A cache is one hash table per cached method, behind a mutex, in the
//! process's core: every handle cloned from one spawn shares it, and it
//! outlives restarts (each restart clears it, since the fresh state may
//! answer differently). An entry lives `ttl` on the system's clock.
//!
//! The table is keyed by the hash of the arguments, taken by reference,
//! and keeps the owned arguments beside the reply to compare on a hit: a
//! hit clones nothing but the reply. Two argument lists with one hash
//! share a slot, the later replacing the earlier: a rare extra miss, never
//! a wrong reply. So the hash need not resist collisions made on purpose
//! (which can only cost misses), and is a fast seeded multiply-rotate one
//! instead of std's SipHash, a third of a hit's cost.
//!
//! Every entry lives the same `ttl`, so insertion order is expiry order:
//! entries are swept and evicted oldest first from a queue, in amortized
//! constant time per insertion, and the table never holds more than
//! `capacity` entries.
//!
//! A call that misses records the table's generation; an invalidation (a
//! call of a method named in `invalidated_by`, or a restart) empties the
//! table and moves to the next generation, so a reply that was computed
//! before it is not stored after it.

use std::any::Any;
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher, RandomState};
use std::sync::{Arc, OnceLock};

use parking_lot::Mutex;
use std::time::{Duration, Instant};

/// A cached method's options, as `#[cache(...)]` writes them.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct CacheSpec {
    pub ttl: Duration,
    pub capacity: usize,
}

/// The arguments of a cached call, by reference: what a lookup hashes and
/// compares without cloning. Implemented for tuples of references up to
/// twelve arguments, and for `()` (a method without arguments).
#[doc(hidden)]
pub trait KeyRef: Hash {
    /// The arguments owned, as the table keeps them.
    type Owned: Send + 'static;

    fn matches(&self, owned: &Self::Owned) -> bool;

    fn to_owned_key(&self) -> Self::Owned;
}

impl KeyRef for () {
    type Owned = ();

    fn matches(&self, (): &()) -> bool {
        true
    }

    fn to_owned_key(&self) {}
}

macro_rules! key_ref {
    ($($arg:ident $index:tt),+) => {
        impl<$($arg: Hash + Eq + Clone + Send + 'static),+> KeyRef for ($(&$arg,)+) {
            type Owned = ($($arg,)+);

            fn matches(&self, owned: &Self::Owned) -> bool {
                $(*self.$index == owned.$index)&&+
            }

            fn to_owned_key(&self) -> Self::Owned {
                ($(self.$index.clone(),)+)
            }
        }
    };
}

key_ref!(A 0);
key_ref!(A 0, B 1);
key_ref!(A 0, B 1, C 2);
key_ref!(A 0, B 1, C 2, D 3);
key_ref!(A 0, B 1, C 2, D 3, E 4);
key_ref!(A 0, B 1, C 2, D 3, E 4, F 5);
key_ref!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
key_ref!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
key_ref!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
key_ref!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
key_ref!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10);
key_ref!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11);

/// What the core keeps of each cached method: its table, untyped.
pub(crate) trait AnyCache: Send + Sync + 'static {
    /// Empties the table and moves to the next generation.
    fn clear(&self);

    fn as_any(&self) -> &dyn Any;

    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync>;
}

/// The caches of one process, one slot per cached method, each made at
/// its first call.
pub(crate) struct Caches {
    slots: Box<[OnceLock<Arc<dyn AnyCache>>]>,
}

impl Caches {
    pub(crate) fn new(methods: usize) -> Self {
        Self {
            slots: (0..methods).map(|_| OnceLock::new()).collect(),
        }
    }

    /// Empties every table: a restart, whose fresh state may answer
    /// differently.
    pub(crate) fn clear_all(&self) {
        for slot in &self.slots {
            if let Some(cache) = slot.get() {
                cache.clear();
            }
        }
    }

    /// Empties the table of cached method `index`.
    pub(crate) fn clear(&self, index: usize) {
        if let Some(cache) = self.slots.get(index).and_then(OnceLock::get) {
            cache.clear();
        }
    }

    /// The table of cached method `index`, made on first use.
    fn slot<K: Send + 'static, V: Clone + Send + 'static>(
        &self,
        index: usize,
        spec: CacheSpec,
    ) -> Option<&Arc<dyn AnyCache>> {
        let slot = self.slots.get(index)?;
        Some(slot.get_or_init(|| Arc::new(MethodCache::<K, V>::new(spec))))
    }
}

/// What a lookup decided for one call.
#[doc(hidden)]
pub enum Cached<V> {
    /// Answered from the table.
    Hit(V),
    /// Not in the table: the reply, once it comes, is offered to it.
    Miss(Fill<V>),
}

/// Stores a missed call's reply, if the table is still of the generation
/// the call missed in.
#[doc(hidden)]
pub struct Fill<V>(Box<Store<V>>);

/// Stores a reply that came at the given time.
type Store<V> = dyn FnOnce(&V, Instant) + Send;

impl<V> Fill<V> {
    pub(crate) fn store(self, reply: &V, now: Instant) {
        (self.0)(reply, now);
    }
}

/// Looks `key` up in the table of cached method `index` of `caches`, at
/// `now`. `keep` says which replies to store (not `Err`s, unless the
/// method says `errors`).
pub(crate) fn lookup<Q: KeyRef, V: Clone + Send + 'static>(
    caches: &Caches,
    index: usize,
    spec: CacheSpec,
    key: &Q,
    keep: fn(&V) -> bool,
    now: Instant,
) -> Option<Cached<V>> {
    let slot = caches.slot::<Q::Owned, V>(index, spec)?;
    let cache: &MethodCache<Q::Owned, V> = slot.as_any().downcast_ref()?;
    let hash = cache.hasher.hash_one(key);
    let generation = {
        let table = cache.table.lock();
        if let Some(entry) = table.entries.get(&hash) {
            if entry.expires > now && key.matches(&entry.key) {
                return Some(Cached::Hit(entry.value.clone()));
            }
        }
        table.generation
    };
    let cache: Arc<MethodCache<Q::Owned, V>> = slot.clone().into_any().downcast().ok()?;
    let owned = key.to_owned_key();
    Some(Cached::Miss(Fill(Box::new(move |reply: &V, now| {
        if keep(reply) {
            cache.insert(hash, owned, reply.clone(), generation, now);
        }
    }))))
}

/// One cached method's table.
struct MethodCache<K, V> {
    spec: CacheSpec,
    hasher: KeyHashing,
    table: Mutex<Table<K, V>>,
}

struct Table<K, V> {
    entries: HashMap<u64, Entry<K, V>, BuildHasherDefault<Prehashed>>,
    /// `(hash, seq, expires)` of every insertion, oldest first; a record
    /// whose `seq` is no longer its entry's is stale, and skipped.
    order: VecDeque<(u64, u64, Instant)>,
    generation: u64,
    seq: u64,
}

struct Entry<K, V> {
    key: K,
    value: V,
    expires: Instant,
    seq: u64,
}

impl<K: Send + 'static, V: Clone + Send + 'static> MethodCache<K, V> {
    fn new(spec: CacheSpec) -> Self {
        Self {
            spec,
            hasher: KeyHashing::new(),
            table: Mutex::new(Table {
                entries: HashMap::default(),
                order: VecDeque::new(),
                generation: 0,
                seq: 0,
            }),
        }
    }

    fn insert(&self, hash: u64, key: K, value: V, generation: u64, now: Instant) {
        let mut table = self.table.lock();
        if table.generation != generation {
            return;
        }
        table.sweep(now);
        while table.entries.len() >= self.spec.capacity && !table.entries.contains_key(&hash) {
            if !table.evict_oldest() {
                break;
            }
        }
        // Replies racing to fill one slot each push a record: compact
        // the queue before stale records outnumber live ones.
        if table.order.len() >= self.spec.capacity.saturating_mul(2).max(16) {
            let Table { entries, order, .. } = &mut *table;
            order.retain(|(hash, seq, _)| entries.get(hash).is_some_and(|entry| entry.seq == *seq));
        }
        table.seq += 1;
        let (seq, expires) = (table.seq, now + self.spec.ttl);
        table.order.push_back((hash, seq, expires));
        table.entries.insert(
            hash,
            Entry {
                key,
                value,
                expires,
                seq,
            },
        );
    }
}

impl<K, V> Table<K, V> {
    /// Drops the entries that expired by `now`: the oldest records.
    fn sweep(&mut self, now: Instant) {
        while let Some(&(hash, seq, expires)) = self.order.front() {
            if expires > now {
                break;
            }
            self.order.pop_front();
            self.remove_if_current(hash, seq);
        }
    }

    /// Evicts the oldest live entry; `false` when there is none.
    fn evict_oldest(&mut self) -> bool {
        while let Some((hash, seq, _)) = self.order.pop_front() {
            if self.remove_if_current(hash, seq) {
                return true;
            }
        }
        false
    }

    fn remove_if_current(&mut self, hash: u64, seq: u64) -> bool {
        let current = self.entries.get(&hash).is_some_and(|entry| entry.seq == seq);
        if current {
            self.entries.remove(&hash);
        }
        current
    }
}

impl<K: Send + 'static, V: Clone + Send + 'static> AnyCache for MethodCache<K, V> {
    fn clear(&self) {
        let mut table = self.table.lock();
        table.entries.clear();
        table.order.clear();
        table.generation += 1;
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}

/// Hashes arguments for a table: rustc's Fx step (rotate, xor, multiply)
/// per word from a random seed, finished with murmur3's mixer so that
/// every bit of the key reaches the bits the table indexes by.
#[derive(Clone, Copy)]
struct KeyHashing {
    seed: u64,
}

impl KeyHashing {
    fn new() -> Self {
        Self {
            seed: RandomState::new().hash_one(0_u64),
        }
    }
}

impl BuildHasher for KeyHashing {
    type Hasher = KeyHasher;

    fn build_hasher(&self) -> KeyHasher {
        KeyHasher { hash: self.seed }
    }
}

struct KeyHasher {
    hash: u64,
}

impl KeyHasher {
    fn add(&mut self, word: u64) {
        const MULTIPLIER: u64 = 0xf135_7aea_2e62_a9c5;
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(MULTIPLIER);
    }
}

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        let mut hash = self.hash;
        hash ^= hash >> 33;
        hash = hash.wrapping_mul(0xff51_afd7_ed55_8ccd);
        hash ^= hash >> 33;
        hash = hash.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        hash ^ (hash >> 33)
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0; 8];
            word[..rest.len()].copy_from_slice(rest);
            // The length too, so that "a" and "a\0" differ.
            self.add(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 56));
        }
    }

    fn write_u8(&mut self, value: u8) {
        self.add(u64::from(value));
    }

    fn write_u16(&mut self, value: u16) {
        self.add(u64::from(value));
    }

    fn write_u32(&mut self, value: u32) {
        self.add(u64::from(value));
    }

    fn write_u64(&mut self, value: u64) {
        self.add(value);
    }

    fn write_usize(&mut self, value: usize) {
        self.add(value as u64);
    }
}

/// The table's keys are hashes already: its own hasher passes them
/// through.
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0 << 8) | u64::from(byte);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(capacity: usize) -> CacheSpec {
        CacheSpec {
            ttl: Duration::from_secs(10),
            capacity,
        }
    }

    fn get(caches: &Caches, key: u32, now: Instant) -> Option<String> {
        match lookup::<(&u32,), String>(caches, 0, spec(2), &(&key,), |_| true, now)? {
            Cached::Hit(value) => Some(value),
            Cached::Miss(_) => None,
        }
    }

    fn put(caches: &Caches, key: u32, value: &str, now: Instant) {
        if let Some(Cached::Miss(fill)) = lookup::<(&u32,), String>(caches, 0, spec(2), &(&key,), |_| true, now) {
            fill.store(&value.to_owned(), now);
        }
    }

    #[test]
    fn the_key_hash_spreads_close_keys_and_tells_strings_apart() {
        let hashing = KeyHashing::new();
        let mut seen = std::collections::HashSet::new();
        for key in 0..100_000_u64 {
            assert!(seen.insert(hashing.hash_one((&key,))), "two keys below 100,000 collide");
        }
        let strings = ["", "a", "a\0", "ab", "abcdefgh", "abcdefgh\0", "abcdefghi"];
        let hashes: std::collections::HashSet<u64> = strings.iter().map(|text| hashing.hash_one((text,))).collect();
        assert_eq!(hashes.len(), strings.len());
        // The low bits, which the table indexes by, vary too.
        let low: std::collections::HashSet<u64> = (0..4096_u64)
            .map(|key| hashing.hash_one((&(key * 4096),)) & 0xfff)
            .collect();
        assert!(
            low.len() > 2000,
            "{} distinct low 12-bit values of 4096 keys",
            low.len()
        );
    }

    #[test]
    fn holds_at_most_its_capacity_evicting_the_oldest() {
        let caches = Caches::new(1);
        let now = Instant::now();
        put(&caches, 1, "one", now);
        put(&caches, 2, "two", now);
        put(&caches, 3, "three", now);
        assert_eq!(get(&caches, 1, now), None, "the oldest went to make room");
        assert_eq!(get(&caches, 2, now).as_deref(), Some("two"));
        assert_eq!(get(&caches, 3, now).as_deref(), Some("three"));
    }

    #[test]
    fn a_reply_computed_before_a_clear_is_not_stored_after_it() {
        let caches = Caches::new(1);
        let now = Instant::now();
        let Some(Cached::Miss(fill)) = lookup::<(&u32,), String>(&caches, 0, spec(2), &(&1,), |_| true, now) else {
            panic!("an empty table misses");
        };
        caches.clear(0);
        fill.store(&"stale".to_owned(), now);
        assert_eq!(get(&caches, 1, now), None);
    }

    #[test]
    fn racing_fills_of_one_key_keep_the_queue_bounded() {
        let caches = Caches::new(1);
        let now = Instant::now();
        let fills: Vec<_> = (0..1000)
            .filter_map(
                |_| match lookup::<(&u32,), String>(&caches, 0, spec(2), &(&7,), |_| true, now) {
                    Some(Cached::Miss(fill)) => Some(fill),
                    _ => None,
                },
            )
            .collect();
        for fill in fills {
            fill.store(&"seven".to_owned(), now);
        }
        let slot = caches.slots[0].get().expect("made at the first lookup");
        let cache: &MethodCache<(u32,), String> = slot.as_any().downcast_ref().expect("its type");
        let table = cache.table.lock();
        assert_eq!(table.entries.len(), 1);
        assert!(table.order.len() <= 16, "{} records for one entry", table.order.len());
    }
}
