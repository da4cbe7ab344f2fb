//! [`FileJournal`]: journals in files in one directory of this machine,
//! with no server. The type's documentation is the user's; this is why it
//! is built so.
//!
//! # Why a log file
//!
//! A journal only appends, and reads from start to end when its process
//! starts. A log of length-and-checksum framed records does both at the
//! speed of the disk, and is crash safe with one `fdatasync` per group of
//! appends: a crash can only tear the end of the file, which the next
//! open recognizes and cuts off. A B-tree store (redb, sled, SQLite) would
//! add copy-on-write page writes and their syncs to every commit, for
//! random access and transactions that a journal does not need.
//!
//! # Inside
//!
//! `frame` is the bytes of a record or snapshot, `name` a key's file
//! name, `scan` the check of a journal's file when first used, `log` one
//! journal's file (its index, staged appends and reads), `logs` the
//! journals opened so far (and the bound on their open files), `snapshot`
//! a snapshot's file, `writer` the thread that does all of it in groups,
//! and this file the public face that sends it requests.

mod frame;
mod log;
mod logs;
mod name;
mod scan;
mod snapshot;
mod writer;

use std::fmt;
use std::fs::{self, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use crate::journal::error::JournalError;
use crate::journal::file::writer::{Read, Reply, Request, Write};
use crate::journal::store::{Journal, Snapshot, StoreFuture};

/// When an [`append`](Journal::append) (or a snapshot save) through a
/// [`FileJournal`] resolves, and so what survives what.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// An append resolves once its record is written and flushed to the
    /// disk with [`File::sync_data`](std::fs::File::sync_data)
    /// (`fdatasync` on Linux), and for a journal's first append through
    /// this `FileJournal` once the directory is flushed too (so the file
    /// itself is found after a power loss). Its events survive a crash of
    /// the process, of the OS process, of the OS, and a power loss, as far
    /// as the disk keeps what it was told to flush. Snapshots are flushed,
    /// renamed, and the directory flushed, before they resolve. The
    /// default.
    ///
    /// Appends from many processes at once share each flush; one process
    /// alone waits for one flush per append.
    #[default]
    Fsync,
    /// An append resolves once its record is written to the OS (a
    /// `write`, into the page cache), with no flush. Its events survive a
    /// crash of the process and of the OS process (a panic, an abort, a
    /// SIGKILL), but not of the machine: after a power loss or a crash of
    /// the OS, the events the OS had not yet written back (on Linux,
    /// typically up to the last 30 seconds) may be gone. What is left is
    /// checked as ever: a torn end is cut off, damage is reported, nothing
    /// is silently misread; a snapshot ahead of what is left of its
    /// journal is skipped. Snapshots are written and renamed, not flushed.
    /// Much faster than `Fsync`: no disk round trip.
    Buffered,
}

/// Journals in files, one per journal, in one directory of this machine:
/// the store for event-sourced processes that need no server.
///
/// Clones share one writer thread and the directory's lock; each has its
/// own [`Durability`], which its appends and snapshot saves get: see there
/// for when an event is durable. The writer thread ends, and the lock is
/// let go, when the last clone is dropped; that drop waits for the writer
/// to answer the requests already made (a group commit at most).
///
/// # Layout
///
/// ```text
/// journal/
///   LOCK                  locked by the FileJournal that has the directory open
///   account%2F42.log      journal `account/42`: its records, one per append
///   account%2F42.snap     its latest snapshot
///   %57orker%5B0%5D.log   journal `Worker[0]`
/// ```
///
/// A key's file name is its UTF-8 with every byte outside `a-z`, `0-9`,
/// `_` and `-` written `%XX`, so that no key reaches outside the directory
/// and no two share a file, even where the file system ignores case.
///
/// A `.log` file is a sequence of records, one per
/// [`append`](Journal::append): `[u32 length][u32 crc32][payload]`, the
/// payload being the batch's events, each as `[u32 length][bytes]` (all
/// integers little-endian). One record per batch makes a batch all or
/// none after a crash. A `.snap` file is one such frame holding
/// `[u64 position][bytes]`, written to `.snap.tmp` and renamed over the
/// old one.
///
/// # Crashes and damage
///
/// When a `FileJournal` first touches a journal, it reads its file
/// through and checks every record. A torn end (a header cut short, a
/// record running past the end of the file, a last record whose checksum
/// does not match, or only zeros after a bad record) is what an
/// interrupted append leaves: it is cut off, with a warning, and the
/// journal has every batch before it. A record that does not match its
/// checksum with other data after it is damage to the disk or the file,
/// not a crash: it is left as it is, the events before it read as usual,
/// and reading (or appending) past it fails with
/// [`JournalError::Corrupt`], naming the position and the byte offset. A
/// damaged snapshot is skipped with a warning: the process replays its
/// journal from the first event instead, which is always right.
///
/// # One writer
///
/// A journal directory has one writer: [`open`](Self::open) locks the
/// directory's `LOCK` file, and a second `open` of the directory, in this
/// OS process or another, fails until the first `FileJournal` (and every
/// clone of it) is dropped. The lock is the operating system's: a killed
/// process lets go of it.
///
/// # Threads
///
/// All file I/O happens on one thread per `FileJournal`, never on the
/// async runtime (which may be a current-thread runtime, or run on virtual
/// time). Appends are committed in groups: the thread takes every request
/// that queued while it was busy, writes all the appends, syncs each file
/// once, then answers them all. So many processes appending at once share
/// each sync, and one process's appends are as fast as the disk's syncs.
///
/// # Examples
///
/// ```
/// use phyx::journal::{Durability, FileJournal, Journal};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), phyx::journal::JournalError> {
/// # let dir = std::env::temp_dir().join(format!("phyx-doc-file-journal-{}", std::process::id()));
/// let journal = FileJournal::open(&dir)?;
/// journal.append("account/42", 1, vec![b"opened".to_vec()]).await?; // on disk
/// drop(journal); // lets go of the directory
///
/// let journal = FileJournal::open(&dir)?.durability(Durability::Buffered);
/// assert_eq!(journal.read("account/42", 1, 10).await?, [b"opened".to_vec()]);
/// journal.append("account/42", 2, vec![b"deposited".to_vec()]).await?; // written to the OS
/// assert_eq!(journal.keys().await?, ["account/42"]);
/// # drop(journal);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok(())
/// # }
/// ```
///
/// A system keeps its processes' journals there with
/// [`SystemBuilder::journal`](crate::SystemBuilder::journal):
///
/// ```no_run
/// # fn main() -> Result<(), phyx::journal::JournalError> {
/// let system = phyx::System::builder()
///     .journal(phyx::journal::FileJournal::open("journal")?)
///     .build();
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct FileJournal {
    shared: Arc<Shared>,
    durability: Durability,
}

/// What the clones of a `FileJournal` share.
struct Shared {
    dir: PathBuf,
    /// `Some` until dropped: dropping it ends the writer.
    requests: Option<mpsc::Sender<Request>>,
    writer: Option<JoinHandle<()>>,
}

impl FileJournal {
    /// Opens the journals in directory `dir`, creating it if missing, and
    /// locks it: a journal directory has one writer. Appends are
    /// [`Durability::Fsync`]; see [`durability`](Self::durability).
    ///
    /// Opening reads nothing yet: each journal's file is read through
    /// and checked when it is first used.
    ///
    /// # Errors
    ///
    /// [`JournalError::Unavailable`], its key the directory: the directory
    /// cannot be created, or is locked by another `FileJournal` (of this
    /// OS process or another), or the lock or the writer thread cannot be
    /// had; the message says which.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self, JournalError> {
        let dir = dir.as_ref().to_path_buf();
        let named = dir.display().to_string();
        let failed = |doing: &str, path: &Path, error: &dyn fmt::Display| {
            JournalError::unavailable(&named, format!("{doing} `{}`: {error}", path.display()))
        };
        fs::create_dir_all(&dir).map_err(|error| failed("creating the directory", &dir, &error))?;
        let path = dir.join("LOCK");
        let lock = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|error| failed("opening", &path, &error))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(JournalError::unavailable(
                    &named,
                    format!(
                        "the directory `{named}` is in use by another FileJournal, in this OS process or another \
                         (it holds the lock on `{}`); a journal directory has one writer: stop the other, or \
                         give this one a directory of its own",
                        path.display()
                    ),
                ));
            }
            Err(TryLockError::Error(error)) => return Err(failed("locking", &path, &error)),
        }
        let (requests, writer) =
            writer::start(dir.clone(), lock).map_err(|error| failed("starting the writer thread of", &dir, &error))?;
        Ok(Self {
            shared: Arc::new(Shared {
                dir,
                requests: Some(requests),
                writer: Some(writer),
            }),
            durability: Durability::default(),
        })
    }

    /// This handle with appends and snapshot saves of `durability`; its
    /// clones made after share it.
    #[must_use]
    pub fn durability(mut self, durability: Durability) -> Self {
        self.durability = durability;
        self
    }

    /// The directory of the journals.
    pub fn dir(&self) -> &Path {
        &self.shared.dir
    }

    /// The keys of the journals in the directory (every journal appended
    /// to, now or before), sorted.
    ///
    /// # Errors
    ///
    /// [`JournalError::Unavailable`]: the directory cannot be listed.
    pub async fn keys(&self) -> Result<Vec<String>, JournalError> {
        let dir = self.shared.dir.display().to_string();
        self.ask(&dir, |reply| Request::Read(Read::Keys { reply })).await
    }

    /// Sends the request that `request` makes and waits for its answer.
    async fn ask<T>(&self, key: &str, request: impl FnOnce(Reply<T>) -> Request) -> Result<T, JournalError> {
        let (reply, answer) = oneshot::channel();
        let stopped = || {
            JournalError::unavailable(
                key,
                format!(
                    "the writer thread of the FileJournal at `{}` has stopped (a bug in phyx: please report it)",
                    self.shared.dir.display()
                ),
            )
        };
        let requests = self.shared.requests.as_ref().ok_or_else(stopped)?;
        requests.send(request(reply)).map_err(|_| stopped())?;
        answer.await.unwrap_or_else(|_| Err(stopped()))
    }
}

/// Each method's request goes to the writer thread when the future is
/// first polled, and is carried out even if the future is dropped after:
/// an append may then be written, unanswered.
impl Journal for FileJournal {
    fn append<'a>(&'a self, key: &'a str, first: u64, events: Vec<Vec<u8>>) -> StoreFuture<'a, ()> {
        let durability = self.durability;
        Box::pin(self.ask(key, move |reply| {
            Request::Write(Write::Append {
                key: key.to_owned(),
                first,
                events,
                durability,
                reply,
            })
        }))
    }

    fn read<'a>(&'a self, key: &'a str, from: u64, max: usize) -> StoreFuture<'a, Vec<Vec<u8>>> {
        Box::pin(self.ask(key, move |reply| {
            Request::Read(Read::Events {
                key: key.to_owned(),
                from,
                max,
                reply,
            })
        }))
    }

    fn save_snapshot<'a>(&'a self, key: &'a str, snapshot: Snapshot) -> StoreFuture<'a, ()> {
        let durability = self.durability;
        Box::pin(self.ask(key, move |reply| {
            Request::Write(Write::Snapshot {
                key: key.to_owned(),
                snapshot,
                durability,
                reply,
            })
        }))
    }

    fn load_snapshot<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Snapshot>> {
        Box::pin(self.ask(key, move |reply| {
            Request::Read(Read::Snapshot {
                key: key.to_owned(),
                reply,
            })
        }))
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // The writer ends once its requests are answered; waiting for it
        // lets go of the lock before this returns, so that the directory
        // opens again at once.
        drop(self.requests.take());
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

impl fmt::Debug for FileJournal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileJournal")
            .field("dir", &self.shared.dir)
            .field("durability", &self.durability)
            .finish()
    }
}

#[cfg(test)]
mod tests;
