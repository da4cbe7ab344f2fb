//! A journal's latest snapshot: one frame in `<key>.snap`, replaced
//! whole by a rename, so that a reader finds the old one or the new one.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::Path;

use crate::journal::error::JournalError;
use crate::journal::file::frame::{self, HEADER, Header};
use crate::journal::file::log::unavailable;
use crate::journal::store::Snapshot;

/// Writes `snapshot` to a temporary file beside `<stem>.snap`, flushes it
/// to the disk when `sync` says so, and renames it over `<stem>.snap`.
/// The rename is on disk once the directory is synced, which the caller
/// does, once for the group.
pub(super) fn save(dir: &Path, key: &str, stem: &str, snapshot: &Snapshot, sync: bool) -> Result<(), JournalError> {
    let mut bytes = Vec::with_capacity(HEADER + 8 + snapshot.bytes.len());
    frame::push_snapshot(&mut bytes, snapshot.position, &snapshot.bytes)
        .map_err(|error| JournalError::unavailable(key, format!("the snapshot: {error}")))?;
    let temporary = dir.join(format!("{stem}.snap.tmp"));
    let write = |path: &Path| -> io::Result<()> {
        let mut file = File::create(path)?;
        file.write_all(&bytes)?;
        if sync {
            file.sync_data()?;
        }
        Ok(())
    };
    write(&temporary).map_err(|error| unavailable(key, "writing", &temporary, &error))?;
    let path = dir.join(format!("{stem}.snap"));
    fs::rename(&temporary, &path).map_err(|error| {
        let doing = format!("renaming `{}` to", temporary.display());
        unavailable(key, &doing, &path, &error)
    })
}

/// Journal `key`'s snapshot in `<stem>.snap`, if it has one; a damaged
/// one is `None`, with a warning: the journal's events are the truth, a
/// snapshot only a shortcut, and replaying them all is always right.
pub(super) fn load(dir: &Path, key: &str, stem: &str) -> Result<Option<Snapshot>, JournalError> {
    let path = dir.join(format!("{stem}.snap"));
    let bytes = match fs::read(&path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(unavailable(key, "reading", &path, &error)),
    };
    let snapshot = bytes
        .split_first_chunk::<HEADER>()
        .filter(|(header, payload)| Header::parse(**header).checks(payload))
        .and_then(|(_, payload)| frame::snapshot(payload));
    let Some((position, bytes)) = snapshot else {
        tracing::warn!(
            target: "phyx", journal = key, path = %path.display(),
            "the snapshot file is damaged (it does not match its checksum); replaying the journal from its \
             first event instead"
        );
        return Ok(None);
    };
    Ok(Some(Snapshot {
        position,
        bytes: bytes.to_vec(),
    }))
}
