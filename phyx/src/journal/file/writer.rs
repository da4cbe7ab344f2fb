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
use crate::journal::file::log::{Log, unavailable};
use crate::journal::file::{Durability, name, snapshot};
use crate::journal::store::Snapshot;

/// Files the writer keeps open at most; past it, it closes the least
/// recently used (their indexes stay), so that a system with thousands
/// of journals does not run out of file descriptors.
const MAX_OPEN: usize = 256;

/// Where an answer goes.
pub(super) type Reply<T> = oneshot::Sender<Result<T, JournalError>>;

/// What a `FileJournal` asks of its writer.
pub(super) enum Request {
    Append {
        key: String,
        first: u64,
        events: Vec<Vec<u8>>,
        durability: Durability,
        reply: Reply<()>,
    },
    Read {
        key: String,
        from: u64,
        max: usize,
        reply: Reply<Vec<Vec<u8>>>,
    },
    SaveSnapshot {
        key: String,
        snapshot: Snapshot,
        durability: Durability,
        reply: Reply<()>,
    },
    LoadSnapshot {
        key: String,
        reply: Reply<Option<Snapshot>>,
    },
    Keys {
        reply: Reply<Vec<String>>,
    },
}

/// The writer's state: the journals it has opened, by key.
struct Writer {
    dir: PathBuf,
    logs: HashMap<String, Log>,
    /// Logs whose file is open.
    open: usize,
    /// Counts groups, to tell which log was used last.
    tick: u64,
    /// Held while the thread runs: the directory's one-writer lock, let
    /// go once the last request is answered.
    _lock: File,
}

/// An append written with the group, waiting for its answer.
struct Pending {
    key: String,
    sync: bool,
    reply: Reply<()>,
}

/// Starts the writer of `dir`, holding `lock`; it ends once every sender
/// of requests is dropped.
pub(super) fn start(dir: PathBuf, lock: File) -> io::Result<(mpsc::Sender<Request>, JoinHandle<()>)> {
    let (sender, requests) = mpsc::channel();
    let writer = Writer {
        dir,
        logs: HashMap::new(),
        open: 0,
        tick: 0,
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

    /// Answers one group of requests.
    fn serve(&mut self, group: Vec<Request>) {
        self.tick += 1;
        // Reads first, while nothing is staged: they see the journals as
        // the previous group left them.
        let (writes, reads): (Vec<_>, Vec<_>) = group
            .into_iter()
            .partition(|request| matches!(request, Request::Append { .. } | Request::SaveSnapshot { .. }));
        for request in reads {
            match request {
                Request::Read { key, from, max, reply } => {
                    let _ = reply.send(self.log(&key, false).and_then(|log| match log {
                        Some(log) => log.read(&key, from, max),
                        None => Ok(Vec::new()),
                    }));
                }
                Request::LoadSnapshot { key, reply } => {
                    let _ = reply.send(self.load_snapshot(&key));
                }
                Request::Keys { reply } => {
                    let _ = reply.send(self.keys());
                }
                Request::Append { .. } | Request::SaveSnapshot { .. } => {}
            }
        }
        let mut pending = Vec::new();
        let mut saved = Vec::new();
        for request in writes {
            match request {
                Request::Append {
                    key,
                    first,
                    events,
                    durability,
                    reply,
                } => match self.created(&key).and_then(|log| log.stage(&key, first, &events)) {
                    Ok(()) => pending.push(Pending {
                        key,
                        sync: durability == Durability::Fsync,
                        reply,
                    }),
                    Err(error) => {
                        let _ = reply.send(Err(error));
                    }
                },
                Request::SaveSnapshot {
                    key,
                    snapshot,
                    durability,
                    reply,
                } => saved.push((key, snapshot, durability == Durability::Fsync, reply)),
                Request::Read { .. } | Request::LoadSnapshot { .. } | Request::Keys { .. } => {}
            }
        }
        self.commit(pending, saved);
        self.close_some();
    }

    /// Writes every staged record, syncs each file that an `Fsync` append
    /// wrote (and the directory, for new files and snapshots) once, then
    /// answers. A log whose write or sync failed is dropped, to be opened
    /// and scanned again: whether its records reached the disk is unknown.
    fn commit(&mut self, pending: Vec<Pending>, saved: Vec<(String, Snapshot, bool, Reply<()>)>) {
        let mut failed: HashMap<String, JournalError> = HashMap::new();
        let mut syncs: HashMap<&str, bool> = HashMap::new();
        for append in &pending {
            *syncs.entry(&append.key).or_default() |= append.sync;
        }
        for key in syncs.keys() {
            if let Some(log) = self.logs.get_mut(*key)
                && let Err(error) = log.write_staged()
            {
                failed.insert((*key).to_owned(), unavailable(key, "writing", log.path(), &error));
            }
        }
        let mut entries = Vec::new();
        for (key, sync) in &syncs {
            if let Some(log) = self.logs.get_mut(*key)
                && *sync
                && !failed.contains_key(*key)
            {
                match log.sync() {
                    Ok(()) if !log.entry_synced => entries.push((*key).to_owned()),
                    Ok(()) => {}
                    Err(error) => {
                        failed.insert((*key).to_owned(), unavailable(key, "syncing", log.path(), &error));
                    }
                }
            }
        }
        let mut saves = Vec::new();
        for (key, snapshot, sync, reply) in saved {
            let saved = name::encode(&key)
                .map_err(|error| JournalError::unavailable(&key, error))
                .and_then(|stem| snapshot::save(&self.dir, &key, &stem, &snapshot, sync));
            match saved {
                Ok(()) if sync => saves.push((key, reply)),
                answer => {
                    let _ = reply.send(answer);
                }
            }
        }
        if !entries.is_empty() || !saves.is_empty() {
            match sync_dir(&self.dir) {
                Ok(()) => {
                    for key in &entries {
                        if let Some(log) = self.logs.get_mut(key) {
                            log.entry_synced = true;
                        }
                    }
                }
                Err(error) => {
                    let message = format!("syncing the directory `{}`: {error}", self.dir.display());
                    for key in entries.iter().chain(saves.iter().map(|(key, _)| key)) {
                        failed.insert(key.clone(), JournalError::unavailable(key, &message));
                    }
                }
            }
        }
        for (key, reply) in saves {
            let _ = reply.send(failed.get(&key).map_or(Ok(()), |error| Err(error.clone())));
        }
        for append in pending {
            let _ = append
                .reply
                .send(failed.get(&append.key).map_or(Ok(()), |error| Err(error.clone())));
        }
        for key in failed.keys() {
            self.forget(key);
        }
    }

    /// Journal `key`'s log, opened (and scanned) on first use, its file
    /// opened again if it was closed; `None` when it has no file and
    /// `create` is false.
    fn log(&mut self, key: &str, create: bool) -> Result<Option<&mut Log>, JournalError> {
        if !self.logs.contains_key(key) {
            let stem = name::encode(key).map_err(|error| JournalError::unavailable(key, error))?;
            let Some(log) = Log::open(key, self.dir.join(format!("{stem}.log")), create)? else {
                return Ok(None);
            };
            self.open += 1;
            self.logs.insert(key.to_owned(), log);
        }
        let Some(log) = self.logs.get_mut(key) else {
            return Ok(None);
        };
        log.last_used = self.tick;
        if log
            .reopen()
            .map_err(|error| unavailable(key, "opening", log.path(), &error))?
        {
            self.open += 1;
        }
        Ok(Some(log))
    }

    /// Journal `key`'s log, its file created if it has none.
    fn created(&mut self, key: &str) -> Result<&mut Log, JournalError> {
        self.log(key, true)?
            .ok_or_else(|| JournalError::unavailable(key, "its file was not created"))
    }

    /// Drops what is known of journal `key`; its next use scans its file.
    fn forget(&mut self, key: &str) {
        if self.logs.remove(key).is_some_and(|log| log.is_open()) {
            self.open -= 1;
        }
    }

    /// Past [`MAX_OPEN`] open files, closes the least recently used
    /// quarter of them.
    fn close_some(&mut self) {
        if self.open <= MAX_OPEN {
            return;
        }
        let mut open: Vec<(u64, &String)> = self
            .logs
            .iter()
            .filter(|(_, log)| log.is_open())
            .map(|(key, log)| (log.last_used, key))
            .collect();
        open.sort_unstable();
        let close: Vec<String> = open
            .into_iter()
            .take(self.open - MAX_OPEN * 3 / 4)
            .map(|(_, key)| key.clone())
            .collect();
        for key in close {
            if let Some(log) = self.logs.get_mut(&key) {
                log.close();
                self.open -= 1;
            }
        }
    }

    /// Journal `key`'s snapshot, unless it is past the journal's end: its
    /// events were lost (`Buffered`, and the machine crashed), so the
    /// process could not append after it; replaying what is there is
    /// right.
    fn load_snapshot(&mut self, key: &str) -> Result<Option<Snapshot>, JournalError> {
        let stem = name::encode(key).map_err(|error| JournalError::unavailable(key, error))?;
        let Some(snapshot) = snapshot::load(&self.dir, key, &stem)? else {
            return Ok(None);
        };
        let len = match self.log(key, false)? {
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
        let listing = || -> io::Result<Vec<String>> {
            let mut keys = Vec::new();
            for entry in fs::read_dir(&self.dir)? {
                let file = entry?.file_name();
                let stem = file.to_str().and_then(|file| file.strip_suffix(".log"));
                keys.extend(stem.and_then(name::decode));
            }
            keys.sort();
            Ok(keys)
        };
        let dir = self.dir.display().to_string();
        listing().map_err(|error| unavailable(&dir, "listing", &self.dir, &error))
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

#[cfg(test)]
mod tests {
    use std::fs::{self, File};

    use tokio::sync::oneshot;

    use super::{MAX_OPEN, Request, Writer};
    use crate::journal::file::Durability;
    use crate::journal::file::tests::Scratch;

    fn ask<T>(writer: &mut Writer, request: impl FnOnce(super::Reply<T>) -> Request) -> Result<T, super::JournalError> {
        let (reply, mut answer) = oneshot::channel();
        writer.serve(vec![request(reply)]);
        answer.try_recv().expect("answered within its group")
    }

    #[test]
    fn past_its_open_files_limit_it_closes_the_least_recently_used_and_opens_them_again() {
        let dir = Scratch::new("open-files");
        fs::create_dir_all(&dir.0).unwrap();
        let mut writer = Writer {
            dir: dir.0.clone(),
            logs: Default::default(),
            open: 0,
            tick: 0,
            _lock: File::create(dir.0.join("LOCK")).unwrap(),
        };
        let append = |key: usize, first: u64| {
            move |reply| Request::Append {
                key: format!("k{key}"),
                first,
                events: vec![vec![1]],
                durability: Durability::Buffered,
                reply,
            }
        };
        for key in 0..MAX_OPEN + 50 {
            ask(&mut writer, append(key, 1)).unwrap();
            assert!(writer.open <= MAX_OPEN, "{} open", writer.open);
            assert_eq!(writer.open, writer.logs.values().filter(|log| log.is_open()).count());
        }
        assert!(!writer.logs["k0"].is_open());
        assert!(writer.logs[&format!("k{}", MAX_OPEN + 49)].is_open());
        ask(&mut writer, append(0, 2)).unwrap();
        let read = ask(&mut writer, |reply| Request::Read {
            key: "k0".into(),
            from: 1,
            max: 10,
            reply,
        });
        assert_eq!(read.unwrap(), [vec![1], vec![1]]);
    }
}
