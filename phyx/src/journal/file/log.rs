//! One journal's file as the writer thread keeps it: how many events its
//! valid records hold, a sparse index of them, damage found when it was
//! opened, and the records of the group being committed.

use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::journal::error::JournalError;
use crate::journal::file::frame::{self, HEADER, Header};
use crate::journal::file::scan::scan;

/// A record's offset is indexed at least every this many bytes: a read
/// from anywhere reads at most this much before its first event.
const INDEX_STRIDE: u64 = 64 * 1024;

/// Buffer of the reads that scan and read records.
pub(super) const READ_BUFFER: usize = 64 * 1024;

/// The staged buffer keeps at most this much capacity between groups.
const STAGED_KEPT: usize = 1024 * 1024;

/// Where a record starts: its offset in the file and its first event's
/// position.
#[derive(Debug, Clone, Copy)]
pub(super) struct Mark {
    pub(super) first: u64,
    pub(super) offset: u64,
}

/// A record that does not check, with valid-looking data after it: the
/// journal cannot be read from `position` on.
#[derive(Debug)]
pub(super) struct Damage {
    pub(super) position: u64,
    pub(super) detail: String,
}

/// A journal's file and what is known of it. Invariants: `len` and `end`
/// count the staged records, which sit in `staged` and belong in the file
/// at `written`; reads and scans happen only while nothing is staged.
#[derive(Debug)]
pub(super) struct Log {
    path: PathBuf,
    /// `None` while closed to spare file descriptors; the lock on the
    /// directory guarantees the file does not change meanwhile.
    file: Option<File>,
    len: u64,
    end: u64,
    written: u64,
    staged: Vec<u8>,
    /// Ascending; the first record's mark comes first.
    index: Vec<Mark>,
    /// The record holding the event after the last one read, so that a
    /// replay's next read starts there.
    cursor: Mark,
    damage: Option<Damage>,
    /// Whether the file's directory entry is known to be on disk: after a
    /// directory sync by this writer. Until then a `Fsync` append syncs
    /// the directory too.
    pub(super) entry_synced: bool,
    /// When the writer last used it, to close the least recently used.
    pub(super) last_used: u64,
}

impl Log {
    /// Opens and scans the file at `path`; `Ok(None)` when there is none
    /// and `create` is false (a journal never written).
    pub(super) fn open(key: &str, path: PathBuf, create: bool) -> Result<Option<Self>, JournalError> {
        let file = match open_file(&path) {
            Ok(file) => file,
            Err(error) if error.kind() == io::ErrorKind::NotFound && !create => return Ok(None),
            Err(error) if error.kind() == io::ErrorKind::NotFound => OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .open(&path)
                .map_err(|error| unavailable(key, "creating", &path, &error))?,
            Err(error) => return Err(unavailable(key, "opening", &path, &error)),
        };
        let scan = scan(key, &path, &file).map_err(|error| unavailable(key, "scanning", &path, &error))?;
        Ok(Some(Self {
            path,
            file: Some(file),
            len: scan.len,
            end: scan.end,
            written: scan.end,
            staged: Vec::new(),
            index: scan.index,
            cursor: Mark { first: 1, offset: 0 },
            damage: scan.damage,
            entry_synced: false,
            last_used: 0,
        }))
    }

    /// Whether the file is open.
    pub(super) fn is_open(&self) -> bool {
        self.file.is_some()
    }

    /// Closes the file; the next use opens it again.
    pub(super) fn close(&mut self) {
        self.file = None;
    }

    /// Opens the file again if it was closed; `Ok(true)` when it was.
    pub(super) fn reopen(&mut self) -> io::Result<bool> {
        let closed = !self.is_open();
        handle(&mut self.file, &self.path)?;
        Ok(closed)
    }

    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// How many events the journal holds, or `None` when damage hides
    /// the end.
    pub(super) fn len(&self) -> Option<u64> {
        self.damage.is_none().then_some(self.len)
    }

    /// Stages `events` at position `first`, to be written with the group.
    pub(super) fn stage(&mut self, key: &str, first: u64, events: &[Vec<u8>]) -> Result<(), JournalError> {
        if let Some(damage) = &self.damage {
            return Err(JournalError::corrupt(key, damage.position, &damage.detail));
        }
        let next = self.len + 1;
        if first != next {
            return Err(JournalError::conflict(key, first, next));
        }
        if events.is_empty() {
            return Ok(());
        }
        let before = self.staged.len();
        frame::push_record(&mut self.staged, events).map_err(|error| JournalError::unavailable(key, error))?;
        push_mark(
            &mut self.index,
            Mark {
                first: next,
                offset: self.end,
            },
        );
        self.len += events.len() as u64;
        self.end += (self.staged.len() - before) as u64;
        Ok(())
    }

    /// Writes the staged records to the OS. On an error the log is to be
    /// dropped and opened again (a scan then finds what reached the file).
    pub(super) fn write_staged(&mut self) -> io::Result<()> {
        if self.staged.is_empty() {
            return Ok(());
        }
        let mut file = handle(&mut self.file, &self.path)?;
        file.seek(SeekFrom::Start(self.written))?;
        file.write_all(&self.staged)?;
        self.written = self.end;
        self.staged.clear();
        self.staged.shrink_to(STAGED_KEPT);
        Ok(())
    }

    /// Flushes what was written to the disk (`fdatasync`).
    pub(super) fn sync(&mut self) -> io::Result<()> {
        handle(&mut self.file, &self.path)?.sync_data()
    }

    /// At most `max` events from position `from` on (positions start at
    /// 1; `0` reads from the first).
    pub(super) fn read(&mut self, key: &str, from: u64, max: usize) -> Result<Vec<Vec<u8>>, JournalError> {
        let from = from.max(1);
        if max == 0 {
            return Ok(Vec::new());
        }
        if from > self.len {
            return match &self.damage {
                Some(damage) => Err(JournalError::corrupt(key, damage.position, &damage.detail)),
                None => Ok(Vec::new()),
            };
        }
        debug_assert!(self.staged.is_empty(), "reads happen between groups");
        self.read_records(key, from, max)
            .map_err(|error| unavailable(key, "reading", &self.path, &error))?
    }

    /// The records from the last mark at or before `from`; the outer
    /// `Err` is the file's, the inner one damage.
    fn read_records(&mut self, key: &str, from: u64, max: usize) -> io::Result<Result<Vec<Vec<u8>>, JournalError>> {
        let mut at = self.start_for(from);
        let end = self.end;
        let mut reader = BufReader::with_capacity(READ_BUFFER, handle(&mut self.file, &self.path)?);
        reader.seek(SeekFrom::Start(at.offset))?;
        let mut events = Vec::new();
        let mut payload = Vec::new();
        while events.len() < max && at.offset < end {
            let mut bytes = [0; HEADER];
            reader.read_exact(&mut bytes)?;
            let header = Header::parse(bytes);
            payload.resize(header.len as usize, 0);
            reader.read_exact(&mut payload)?;
            let record = if header.checks(&payload) {
                frame::events(&payload)
            } else {
                Err("its checksum no longer matches: the file changed after it was opened".to_owned())
            };
            let record = match record {
                Ok(record) => record,
                Err(problem) => {
                    let detail = format!(
                        "the record at byte {} of `{}`: {problem}",
                        at.offset,
                        self.path.display()
                    );
                    return Ok(Err(JournalError::corrupt(key, at.first, detail)));
                }
            };
            let skip = usize::try_from(from.saturating_sub(at.first)).unwrap_or(usize::MAX);
            let room = max - events.len();
            events.extend(record.iter().skip(skip).take(room).map(|event| event.to_vec()));
            let next = Mark {
                first: at.first + record.len() as u64,
                offset: at.offset + header.frame_len(),
            };
            if from + events.len() as u64 >= next.first {
                at = next;
            } else {
                // Stopped inside this record: the next read starts here.
                break;
            }
        }
        self.cursor = at;
        Ok(Ok(events))
    }

    /// The last known record start at or before position `from`.
    fn start_for(&self, from: u64) -> Mark {
        let indexed = self.index.partition_point(|mark| mark.first <= from);
        let mark = indexed
            .checked_sub(1)
            .map_or(Mark { first: 1, offset: 0 }, |at| self.index[at]);
        if (mark.first..=from).contains(&self.cursor.first) {
            self.cursor
        } else {
            mark
        }
    }
}

/// The file in `slot`, opened again if it was closed.
fn handle<'a>(slot: &'a mut Option<File>, path: &Path) -> io::Result<&'a File> {
    let file = match slot.take() {
        Some(file) => file,
        None => open_file(path)?,
    };
    Ok(slot.insert(file))
}

/// Adds `mark` to `marks` unless the last one is near.
pub(super) fn push_mark(marks: &mut Vec<Mark>, mark: Mark) {
    if marks
        .last()
        .is_none_or(|last| mark.offset - last.offset >= INDEX_STRIDE)
    {
        marks.push(mark);
    }
}

pub(super) fn open_file(path: &Path) -> io::Result<File> {
    OpenOptions::new().read(true).write(true).open(path)
}

/// An I/O error of journal `key`, naming what was done to which file.
pub(super) fn unavailable(key: &str, doing: &str, path: &Path, error: &io::Error) -> JournalError {
    JournalError::unavailable(key, format!("{doing} `{}`: {error}", path.display()))
}
