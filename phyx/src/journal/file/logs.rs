//! The journals a writer has opened, by key, with a bound on the files
//! they hold open.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::journal::error::JournalError;
use crate::journal::file::log::{Log, unavailable};
use crate::journal::file::name;

/// Files kept open at most; past it, the least recently used are closed
/// (what is known of them stays), so that a system with thousands of
/// journals does not run out of file descriptors.
const MAX_OPEN: usize = 256;

/// Every journal of the directory touched so far. Invariant: `open`
/// counts the logs whose file is open.
pub(super) struct Logs {
    dir: PathBuf,
    logs: HashMap<String, Log>,
    open: usize,
    /// Counts groups, to tell which log was used last.
    tick: u64,
}

impl Logs {
    pub(super) fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            logs: HashMap::new(),
            open: 0,
            tick: 0,
        }
    }

    pub(super) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Starts a group of requests: the logs it uses are its group's.
    pub(super) fn next_group(&mut self) {
        self.tick += 1;
    }

    /// Journal `key`'s log, opened (and scanned) on first use, its file
    /// opened again if it was closed; `None` when it has no file and
    /// `create` is false.
    pub(super) fn get(&mut self, key: &str, create: bool) -> Result<Option<&mut Log>, JournalError> {
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
        let reopened = log
            .reopen()
            .map_err(|error| unavailable(key, "opening", log.path(), &error))?;
        if reopened {
            self.open += 1;
        }
        Ok(Some(log))
    }

    /// A log already open in this group (one that staged records).
    pub(super) fn staged(&mut self, key: &str) -> Option<&mut Log> {
        self.logs.get_mut(key)
    }

    /// Stages an append to journal `key`, creating its file for the first
    /// events (and only then: a refused or empty append leaves none).
    pub(super) fn stage(&mut self, key: &str, first: u64, events: &[Vec<u8>]) -> Result<(), JournalError> {
        if self.get(key, false)?.is_none() {
            if first != 1 {
                return Err(JournalError::conflict(key, first, 1));
            }
            if events.is_empty() {
                return Ok(());
            }
        }
        self.get(key, true)?
            .ok_or_else(|| JournalError::unavailable(key, "its file was not created"))?
            .stage(key, first, events)
    }

    /// Drops what is known of journal `key`; its next use scans its file.
    pub(super) fn forget(&mut self, key: &str) {
        if self.logs.remove(key).is_some_and(|log| log.is_open()) {
            self.open -= 1;
        }
    }

    /// Past [`MAX_OPEN`] open files, closes the least recently used, down
    /// to three quarters of it (so that this runs once per many opens).
    pub(super) fn close_some(&mut self) {
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
}

#[cfg(test)]
mod tests {
    use super::{Logs, MAX_OPEN};
    use crate::journal::file::tests::Scratch;

    #[test]
    fn past_its_open_files_limit_it_closes_the_least_recently_used_and_opens_them_again() {
        let dir = Scratch::new("open-files");
        std::fs::create_dir_all(&dir.0).unwrap();
        let mut logs = Logs::new(dir.0.clone());
        let append = |logs: &mut Logs, key: &str, first: u64| {
            logs.next_group();
            logs.stage(key, first, &[vec![1]]).unwrap();
            logs.staged(key).unwrap().write_staged().unwrap();
            logs.close_some();
        };
        for key in 0..MAX_OPEN + 50 {
            append(&mut logs, &format!("k{key}"), 1);
            assert!(logs.open <= MAX_OPEN, "{} open", logs.open);
            assert_eq!(logs.open, logs.logs.values().filter(|log| log.is_open()).count());
        }
        assert!(!logs.logs["k0"].is_open());
        assert!(logs.logs[&format!("k{}", MAX_OPEN + 49)].is_open());
        append(&mut logs, "k0", 2);
        let log = logs.get("k0", false).unwrap().unwrap();
        assert_eq!(log.read("k0", 1, 10).unwrap(), [vec![1], vec![1]]);
        logs.forget("k0");
        assert_eq!(logs.open, logs.logs.values().filter(|log| log.is_open()).count());
    }
}
