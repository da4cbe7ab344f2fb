//! A journal store in memory: for tests, and for state that needs to
//! outlive crashes of its process but not of its OS process.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use crate::journal::error::JournalError;
use crate::journal::store::{Journal, Snapshot, StoreFuture};

/// Journals kept in memory. Clones share them, so that a test can build a
/// second [`System`](crate::System) on the same journals (a restart of the
/// OS process, as far as the journals can tell) and read what was
/// written.
///
/// Nothing survives the OS process: for that, see
/// [`FileJournal`](crate::journal::FileJournal).
///
/// ```
/// use phyx::journal::{Journal, MemoryJournal};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), phyx::journal::JournalError> {
/// let journals = MemoryJournal::new();
/// journals.append("account", 1, vec![b"opened".to_vec()]).await?;
/// assert_eq!(journals.len("account"), 1);
/// assert_eq!(journals.read("account", 1, 10).await?, [b"opened".to_vec()]);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Default)]
pub struct MemoryJournal {
    journals: Arc<Mutex<HashMap<String, Entry>>>,
}

#[derive(Default)]
struct Entry {
    events: Vec<Vec<u8>>,
    snapshot: Option<Snapshot>,
}

impl MemoryJournal {
    /// No journals yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many events journal `key` holds.
    pub fn len(&self, key: &str) -> u64 {
        self.with(key, |entry| entry.events.len() as u64)
    }

    /// Whether journal `key` holds no event.
    pub fn is_empty(&self, key: &str) -> bool {
        self.len(key) == 0
    }

    /// Journal `key`'s events, encoded, in order.
    pub fn events(&self, key: &str) -> Vec<Vec<u8>> {
        self.with(key, |entry| entry.events.clone())
    }

    /// The keys of every journal written so far, sorted.
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.lock().keys().cloned().collect();
        keys.sort();
        keys
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.journals.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn with<R>(&self, key: &str, read: impl FnOnce(&mut Entry) -> R) -> R {
        read(self.lock().entry(key.to_owned()).or_default())
    }
}

impl Journal for MemoryJournal {
    fn append<'a>(&'a self, key: &'a str, first: u64, events: Vec<Vec<u8>>) -> StoreFuture<'a, ()> {
        let appended = self.with(key, |entry| {
            let next = entry.events.len() as u64 + 1;
            if first != next {
                return Err(JournalError::conflict(key, first, next));
            }
            entry.events.extend(events);
            Ok(())
        });
        Box::pin(async move { appended })
    }

    fn read<'a>(&'a self, key: &'a str, from: u64, max: usize) -> StoreFuture<'a, Vec<Vec<u8>>> {
        let events = self.with(key, |entry| {
            let start = usize::try_from(from.saturating_sub(1)).unwrap_or(usize::MAX);
            entry.events.iter().skip(start).take(max).cloned().collect()
        });
        Box::pin(async move { Ok(events) })
    }

    fn save_snapshot<'a>(&'a self, key: &'a str, snapshot: Snapshot) -> StoreFuture<'a, ()> {
        self.with(key, |entry| entry.snapshot = Some(snapshot));
        Box::pin(async { Ok(()) })
    }

    fn load_snapshot<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Snapshot>> {
        let snapshot = self.with(key, |entry| entry.snapshot.clone());
        Box::pin(async move { Ok(snapshot) })
    }
}

impl std::fmt::Debug for MemoryJournal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryJournal").field("journals", &self.keys()).finish()
    }
}
