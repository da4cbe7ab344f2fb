//! The thread that does a `FileJournal`'s file I/O, off the async
//! runtime, and commits appends in groups: it takes every request queued,
//! answers the reads, writes all the appends, syncs each file it wrote
//! once, and then answers them.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use crate::journal::error::JournalError;
use crate::journal::file::log::unavailable;
use crate::journal::file::logs::Logs;
use crate::journal::file::{Durability, name, snapshot};
use crate::journal::store::Snapshot;

/// Where an answer goes.
pub(super) type Reply<T> = oneshot::Sender<Result<T, JournalError>>;

/// What a `FileJournal` asks of its writer.
pub(super) enum Request {
    Read(Read),
    Write(Write),
}

/// A request answered at once, from the journals as the previous group
/// left them.
pub(super) enum Read {
    Events {
        key: String,
        from: u64,
        max: usize,
        reply: Reply<Vec<Vec<u8>>>,
    },
    Snapshot {
        key: String,
        reply: Reply<Option<Snapshot>>,
    },
    Keys {
        reply: Reply<Vec<String>>,
    },
}

/// A request answered once its group is committed.
pub(super) enum Write {
    Append {
        key: String,
        first: u64,
        events: Vec<Vec<u8>>,
        durability: Durability,
        reply: Reply<()>,
    },
    Snapshot {
        key: String,
        snapshot: Snapshot,
        durability: Durability,
        reply: Reply<()>,
    },
}

/// The writer's state.
struct Writer {
    logs: Logs,
    /// Held while the thread runs: the directory's one-writer lock, let
    /// go once the last request is answered.
    _lock: File,
}

/// A write carried out with the group, waiting for its answer.
struct Pending {
    key: String,
    /// Whether it waits for its file's flush (`Fsync`).
    sync: bool,
    reply: Reply<()>,
}

/// Starts the writer of `dir`, holding `lock`; it ends once every sender
/// of requests is dropped.
pub(super) fn start(dir: PathBuf, lock: File) -> io::Result<(mpsc::Sender<Request>, JoinHandle<()>)> {
    let (sender, requests) = mpsc::channel();
    let writer = Writer {
        logs: Logs::new(dir),
        _lock: lock,
    };
    let thread = std::thread::Builder::new()
        .name("phyx-file-journal".into())
        .spawn(move || writer.run(&requests))?;
    Ok((sender, thread))
}

impl Writer {
    fn run(mut self, requests: &mpsc::Receiver<Request>) {
        while let Ok(request) = requests.recv() {
            let mut group = vec![request];
            group.extend(requests.try_iter());
            self.serve(group);
        }
    }

    /// Answers one group of requests: the reads first, while nothing is
    /// staged, then the writes, committed together.
    fn serve(&mut self, group: Vec<Request>) {
        self.logs.next_group();
        let mut writes = Vec::new();
        for request in group {
            match request {
                Request::Read(read) => self.read(read),
                Request::Write(write) => writes.push(write),
            }
        }
        let mut appends = Vec::new();
        let mut snapshots = Vec::new();
        for write in writes {
            match write {
                Write::Append {
                    key,
                    first,
                    events,
                    durability,
                    reply,
                } => match self.logs.stage(&key, first, &events) {
                    Ok(()) => appends.push(Pending {
                        key,
                        sync: durability == Durability::Fsync,
                        reply,
                    }),
                    Err(error) => {
                        let _ = reply.send(Err(error));
                    }
                },
                Write::Snapshot {
                    key,
                    snapshot,
                    durability,
                    reply,
                } => {
                    let sync = durability == Durability::Fsync;
                    match self.save_snapshot(&key, &snapshot, sync) {
                        Ok(()) => snapshots.push(Pending { key, sync, reply }),
                        Err(error) => {
                            let _ = reply.send(Err(error));
                        }
                    }
                }
            }
        }
        self.commit(appends, snapshots);
        self.logs.close_some();
    }

    fn read(&mut self, read: Read) {
        match read {
            Read::Events { key, from, max, reply } => {
                let _ = reply.send(self.logs.get(&key, false).and_then(|log| match log {
                    Some(log) => log.read(&key, from, max),
                    None => Ok(Vec::new()),
                }));
            }
            Read::Snapshot { key, reply } => {
                let _ = reply.send(self.load_snapshot(&key));
            }
            Read::Keys { reply } => {
                let _ = reply.send(self.keys());
            }
        }
    }

    /// Writes every staged record, flushes each file that an `Fsync`
    /// append wrote once (and the directory, for files new to this writer
    /// and renamed snapshots), then answers. A log whose write or flush
    /// failed is dropped, to be opened and scanned again: whether its
    /// records reached the disk is unknown.
    fn commit(&mut self, appends: Vec<Pending>, snapshots: Vec<Pending>) {
        let mut failed: HashMap<String, JournalError> = HashMap::new();
        let mut syncs: HashMap<&str, bool> = HashMap::new();
        for append in &appends {
            *syncs.entry(&append.key).or_default() |= append.sync;
        }
        for &key in syncs.keys() {
            if let Some(log) = self.logs.staged(key)
                && let Err(error) = log.write_staged()
            {
                failed.insert(key.to_owned(), unavailable(key, "writing", log.path(), &error));
            }
        }
        // Keys whose answer waits for the directory's flush.
        let mut entries: Vec<&str> = snapshots
            .iter()
            .filter(|save| save.sync)
            .map(|save| &*save.key)
            .collect();
        for (&key, &sync) in &syncs {
            if !sync || failed.contains_key(key) {
                continue;
            }
            if let Some(log) = self.logs.staged(key) {
                match log.sync() {
                    Ok(()) if !log.entry_synced => entries.push(key),
                    Ok(()) => {}
                    Err(error) => {
                        failed.insert(key.to_owned(), unavailable(key, "syncing", log.path(), &error));
                    }
                }
            }
        }
        if !entries.is_empty() {
            let dir = self.logs.dir();
            match sync_dir(dir) {
                Ok(()) => {
                    for &key in &entries {
                        if let Some(log) = self.logs.staged(key) {
                            log.entry_synced = true;
                        }
                    }
                }
                Err(error) => {
                    let message = format!("syncing the directory `{}`: {error}", dir.display());
                    for &key in &entries {
                        failed.insert(key.to_owned(), JournalError::unavailable(key, &message));
                    }
                }
            }
        }
        for done in appends.into_iter().chain(snapshots) {
            let _ = done
                .reply
                .send(failed.get(&done.key).map_or(Ok(()), |error| Err(error.clone())));
        }
        for key in failed.keys() {
            self.logs.forget(key);
        }
    }

    fn save_snapshot(&self, key: &str, snapshot: &Snapshot, sync: bool) -> Result<(), JournalError> {
        let stem = name::encode(key).map_err(|error| JournalError::unavailable(key, error))?;
        snapshot::save(self.logs.dir(), key, &stem, snapshot, sync)
    }

    /// Journal `key`'s snapshot, unless it is past the journal's end: its
    /// events were lost (`Buffered`, and the machine crashed), so the
    /// process could not append after it; replaying what is there is
    /// right.
    fn load_snapshot(&mut self, key: &str) -> Result<Option<Snapshot>, JournalError> {
        let stem = name::encode(key).map_err(|error| JournalError::unavailable(key, error))?;
        let Some(snapshot) = snapshot::load(self.logs.dir(), key, &stem)? else {
            return Ok(None);
        };
        let len = match self.logs.get(key, false)? {
            Some(log) => log.len(),
            None => Some(0),
        };
        if let Some(len) = len
            && snapshot.position > len
        {
            tracing::warn!(
                target: "phyx", journal = key, position = snapshot.position, len,
                "the snapshot includes {} events and the journal holds {len} (its end was lost with a crash of \
                 the machine); replaying the journal from its first event instead",
                snapshot.position
            );
            return Ok(None);
        }
        Ok(Some(snapshot))
    }

    /// The keys of the journals in the directory, sorted.
    fn keys(&self) -> Result<Vec<String>, JournalError> {
        let dir = self.logs.dir();
        let listing = || -> io::Result<Vec<String>> {
            let mut keys = Vec::new();
            for entry in fs::read_dir(dir)? {
                let file = entry?.file_name();
                let stem = file.to_str().and_then(|file| file.strip_suffix(".log"));
                keys.extend(stem.and_then(name::decode));
            }
            keys.sort();
            Ok(keys)
        };
        listing().map_err(|error| unavailable(&dir.display().to_string(), "listing", dir, &error))
    }
}

/// Flushes the directory's entries to the disk: a new file, or a renamed
/// one, is there after a power loss only then.
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    // Elsewhere a directory does not open as a file; NTFS journals its
    // metadata itself.
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}
