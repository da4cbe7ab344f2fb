//! Where journals live: the [`Journal`] trait that every store implements.

use std::future::Future;
use std::pin::Pin;

use crate::journal::error::JournalError;

/// What a [`Journal`] method returns: a boxed future, so that stores are
/// used as `Arc<dyn Journal>`.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, JournalError>> + Send + 'a>>;

/// A saved snapshot: the encoded state after the journal's first
/// `position` events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// How many events the snapshot includes; replay goes on from
    /// `position + 1`.
    pub position: u64,
    /// The encoded snapshot, as the process made it.
    pub bytes: Vec<u8>,
}

/// A store of journals: for each key (a process's name), an append-only
/// sequence of encoded events, numbered from 1, and its latest snapshot.
///
/// phyx brings [`MemoryJournal`](crate::journal::MemoryJournal) (tests),
/// [`FileJournal`](crate::journal::FileJournal) (a file per journal, no
/// server), and, with the `cluster` feature, JetStream. Implement this
/// trait to keep journals elsewhere; phyx calls it from the process that
/// owns the key, one call at a time per key.
///
/// Every method returns a [`StoreFuture`]:
///
/// ```
/// use phyx::journal::{Journal, JournalError, Snapshot, StoreFuture};
///
/// struct Nowhere;
///
/// impl Journal for Nowhere {
///     fn append<'a>(&'a self, key: &'a str, first: u64, _events: Vec<Vec<u8>>) -> StoreFuture<'a, ()> {
///         Box::pin(async move { Err(JournalError::conflict(key, first, 0)) })
///     }
///     fn read<'a>(&'a self, _key: &'a str, _from: u64, _max: usize) -> StoreFuture<'a, Vec<Vec<u8>>> {
///         Box::pin(async { Ok(Vec::new()) })
///     }
///     fn save_snapshot<'a>(&'a self, _key: &'a str, _snapshot: Snapshot) -> StoreFuture<'a, ()> {
///         Box::pin(async { Ok(()) })
///     }
///     fn load_snapshot<'a>(&'a self, _key: &'a str) -> StoreFuture<'a, Option<Snapshot>> {
///         Box::pin(async { Ok(None) })
///     }
/// }
/// ```
pub trait Journal: Send + Sync + 'static {
    /// Appends `events` (at least one) to journal `key`, at positions
    /// `first`, `first + 1`, and so on, all or none: after a crash, a
    /// replay finds either every one of them or none.
    ///
    /// `first` is one more than the journal's length; otherwise another
    /// writer got there first, and the store fails with
    /// [`JournalError::conflict`] without writing. Resolves once the
    /// events are as durable as the store promises (its documentation
    /// says how: written to the OS, flushed to disk, replicated).
    fn append<'a>(&'a self, key: &'a str, first: u64, events: Vec<Vec<u8>>) -> StoreFuture<'a, ()>;

    /// Journal `key`'s events from position `from` on, in order: at most
    /// `max` of them, and at least one unless the journal has fewer than
    /// `from` events. Empty: the end (a journal never written is empty).
    fn read<'a>(&'a self, key: &'a str, from: u64, max: usize) -> StoreFuture<'a, Vec<Vec<u8>>>;

    /// Saves `snapshot` as journal `key`'s latest, replacing the one
    /// before; its events stay in the journal.
    fn save_snapshot<'a>(&'a self, key: &'a str, snapshot: Snapshot) -> StoreFuture<'a, ()>;

    /// Journal `key`'s latest snapshot, if one was saved.
    fn load_snapshot<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Snapshot>>;
}

/// A shared store is a store: the same journals behind one system's
/// handle and a tool's, or a test's.
impl<J: Journal + ?Sized> Journal for std::sync::Arc<J> {
    fn append<'a>(&'a self, key: &'a str, first: u64, events: Vec<Vec<u8>>) -> StoreFuture<'a, ()> {
        (**self).append(key, first, events)
    }

    fn read<'a>(&'a self, key: &'a str, from: u64, max: usize) -> StoreFuture<'a, Vec<Vec<u8>>> {
        (**self).read(key, from, max)
    }

    fn save_snapshot<'a>(&'a self, key: &'a str, snapshot: Snapshot) -> StoreFuture<'a, ()> {
        (**self).save_snapshot(key, snapshot)
    }

    fn load_snapshot<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Snapshot>> {
        (**self).load_snapshot(key)
    }
}
