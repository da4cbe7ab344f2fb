//! Journals for tests of event-sourced processes (feature `journal`): a
//! store that fails on cue, and replays without a running system.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use phyx::journal::{
    EventSourced, Journal, JournalError, MemoryJournal, PersistError, Snapshot, StoreFuture, decode, encode,
};
use tokio::sync::Notify;

/// What the next appends do, in order.
enum Cue {
    /// Fail before writing anything.
    Fail,
    /// Write, then report a failure: an acknowledgement lost on the way.
    LoseAck,
    /// Write, then panic in the process that appended, before its handler
    /// replies: a crash between persist and reply.
    CrashAfter,
    /// Wait, before writing, until released.
    Hang(Arc<Notify>),
}

/// A journal store around a [`MemoryJournal`] whose next appends fail in
/// the ways a real store's do: before writing, after writing (the
/// acknowledgement lost), hanging, or with a crash of the appending
/// process between its persist and its reply. Clones share the store and
/// the cues.
///
/// ```
/// use phyx::journal::{Journal, JournalError};
/// use phyx_testkit::journal::FaultyJournal;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let journal = FaultyJournal::new();
/// journal.lose_next_ack();
/// let lost = journal.append("account", 1, vec![vec![7]]).await;
/// assert!(matches!(lost, Err(JournalError::Unavailable { .. })));
/// assert_eq!(journal.memory().len("account"), 1, "written all the same");
/// # }
/// ```
#[derive(Clone, Default)]
pub struct FaultyJournal {
    memory: MemoryJournal,
    cues: Arc<Mutex<VecDeque<Cue>>>,
}

impl FaultyJournal {
    /// An empty store that does what it is told, then works.
    pub fn new() -> Self {
        Self::default()
    }

    /// The journals it holds, to read what was written.
    pub fn memory(&self) -> &MemoryJournal {
        &self.memory
    }

    /// The next append fails before writing: nothing is stored, the
    /// caller gets [`JournalError::Unavailable`].
    pub fn fail_next_append(&self) {
        self.cue(Cue::Fail);
    }

    /// The next append is written, then reported as failed
    /// ([`JournalError::Unavailable`]): the store died before its
    /// acknowledgement reached the caller.
    pub fn lose_next_ack(&self) {
        self.cue(Cue::LoseAck);
    }

    /// The next append is written, then the process that persisted
    /// panics inside `persist`, before its handler can reply: a crash
    /// between persist and reply.
    pub fn crash_after_next_append(&self) {
        self.cue(Cue::CrashAfter);
    }

    /// The next append waits, before writing, until the returned
    /// [`Release`] is released or dropped: a store that hangs.
    pub fn hang_next_append(&self) -> Release {
        let release = Arc::new(Notify::new());
        self.cue(Cue::Hang(release.clone()));
        Release(release)
    }

    fn cue(&self, cue: Cue) {
        self.cues.lock().unwrap_or_else(PoisonError::into_inner).push_back(cue);
    }

    fn next_cue(&self) -> Option<Cue> {
        self.cues.lock().unwrap_or_else(PoisonError::into_inner).pop_front()
    }
}

/// Lets a hung append go on (see [`FaultyJournal::hang_next_append`]);
/// dropping it does too.
#[must_use = "dropping the release lets the append go on at once"]
pub struct Release(Arc<Notify>);

impl Release {
    /// Lets the append go on.
    pub fn release(self) {}
}

impl Drop for Release {
    fn drop(&mut self) {
        self.0.notify_one();
    }
}

impl std::fmt::Debug for Release {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Release")
    }
}

impl Journal for FaultyJournal {
    fn append<'a>(&'a self, key: &'a str, first: u64, events: Vec<Vec<u8>>) -> StoreFuture<'a, ()> {
        let cue = self.next_cue();
        Box::pin(async move {
            match cue {
                None => self.memory.append(key, first, events).await,
                Some(Cue::Fail) => Err(JournalError::unavailable(key, "the test's store failed before writing")),
                Some(Cue::LoseAck) => {
                    self.memory.append(key, first, events).await?;
                    Err(JournalError::unavailable(
                        key,
                        "the test's store lost the acknowledgement",
                    ))
                }
                Some(Cue::CrashAfter) => {
                    self.memory.append(key, first, events).await?;
                    panic!("crash after persisting to journal `{key}`, before the reply (FaultyJournal)");
                }
                Some(Cue::Hang(release)) => {
                    release.notified().await;
                    self.memory.append(key, first, events).await
                }
            }
        })
    }

    fn read<'a>(&'a self, key: &'a str, from: u64, max: usize) -> StoreFuture<'a, Vec<Vec<u8>>> {
        self.memory.read(key, from, max)
    }

    fn save_snapshot<'a>(&'a self, key: &'a str, snapshot: Snapshot) -> StoreFuture<'a, ()> {
        self.memory.save_snapshot(key, snapshot)
    }

    fn load_snapshot<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Snapshot>> {
        self.memory.load_snapshot(key)
    }
}

impl std::fmt::Debug for FaultyJournal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultyJournal")
            .field("memory", &self.memory)
            .finish_non_exhaustive()
    }
}

/// `state` with `events` applied in order, as a replay would: the state an
/// instance holds after them, without a system.
pub fn replay<T: EventSourced>(mut state: T, events: impl IntoIterator<Item = T::Event>) -> T {
    for event in events {
        state.apply(event);
    }
    state
}

/// `state` with the first `count` events of journal `key` applied: a
/// fast-forward to the state after the `count`th event (all of them if the
/// journal is shorter). Snapshots are not read: this is the events' truth.
///
/// # Errors
///
/// The store's, or [`JournalError::Decode`] for an event that is not a
/// `T::Event`.
pub async fn state_after<T: EventSourced>(
    mut state: T,
    store: &dyn Journal,
    key: &str,
    count: u64,
) -> Result<T, JournalError> {
    let mut position = 0;
    while position < count {
        let want = usize::try_from(count - position).unwrap_or(usize::MAX).min(4096);
        let batch = store.read(key, position + 1, want).await?;
        if batch.is_empty() {
            break;
        }
        for bytes in batch {
            position += 1;
            state.apply(decode::<T::Event>(key, position, &bytes)?);
        }
    }
    Ok(state)
}

/// Appends `events` to journal `key` as `T` persists them: a journal a
/// test starts from.
///
/// # Errors
///
/// The store's, or [`PersistError::Encode`].
pub async fn write<T: EventSourced>(
    store: &dyn Journal,
    key: &str,
    events: impl IntoIterator<Item = T::Event>,
) -> Result<(), PersistError> {
    let mut next = 1 + count(store, key).await?;
    for event in events {
        store.append(key, next, vec![encode(&event)?]).await?;
        next += 1;
    }
    Ok(())
}

async fn count(store: &dyn Journal, key: &str) -> Result<u64, JournalError> {
    let mut count = 0;
    loop {
        let batch = store.read(key, count + 1, 4096).await?;
        if batch.is_empty() {
            return Ok(count);
        }
        count += batch.len() as u64;
    }
}
