//! The index of a store's journaled sagas: journal `phyx/sagas`, where
//! each saga is listed as started before its first entry and as ended
//! after its last, so that a program starting up knows which to resume.
//!
//! Every saga of every system on the store appends to it
//! ([`Journals::append_shared`]); a snapshot of the unfinished ones keeps
//! reading it short.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::journal::{JournalError, Journals, RESERVED, Snapshot, decode, decode_from, encode};
use crate::kernel::system::SystemInner;
use crate::saga::journaled::log::Log;
use crate::saga::{SagaId, SagaJournalError};

/// Entries read past the snapshot before a new snapshot is saved.
const SNAPSHOT_AFTER: usize = 1024;

/// One entry of the index.
#[derive(Debug, Serialize, Deserialize)]
enum Entry {
    Started(String),
    Ended(String),
}

fn key() -> String {
    format!("{RESERVED}sagas")
}

/// Lists saga `id` as started.
pub(super) async fn started(journals: &Journals, id: &SagaId) -> Result<(), JournalError> {
    append(journals, &Entry::Started(id.to_string())).await
}

/// Lists saga `id` as ended, or logs why it could not: the saga's own
/// journal says so anyway, and [`unfinished`] mends the index.
pub(super) async fn ended(journals: &Journals, id: &SagaId) {
    if let Err(error) = append(journals, &Entry::Ended(id.to_string())).await {
        tracing::warn!(target: "phyx", saga = %id, "the saga ended, and the index of sagas does not say so yet: {error}");
    }
}

async fn append(journals: &Journals, entry: &Entry) -> Result<(), JournalError> {
    let key = key();
    let bytes = encode(entry).map_err(|error| JournalError::unavailable(&*key, error))?;
    journals.append_shared(&key, bytes).await
}

/// The sagas started on `system`'s store and not ended, oldest first.
/// One whose journal records its end (the index missed it: its OS process
/// died in between) is listed as ended now, and left out.
pub(crate) async fn unfinished(system: &SystemInner) -> Result<Vec<SagaId>, SagaJournalError> {
    let journals = Journals::of(system).ok_or(SagaJournalError::NoStore)?;
    let key = key();
    let (mut open, snapshot) = load_snapshot(&journals, &key).await?;
    let entries = decode_from::<Entry>(journals.store(), &key, snapshot + 1)
        .await
        .map_err(SagaJournalError::Journal)?;
    let read = entries.len();
    let mut position = snapshot;
    for entry in entries {
        position += 1;
        match entry {
            Entry::Started(id) => {
                open.entry(id).or_insert(position);
            }
            Entry::Ended(id) => {
                open.remove(&id);
            }
        }
    }
    let mut open: Vec<(u64, String)> = open.into_iter().map(|(id, started)| (started, id)).collect();
    open.sort();
    if read >= SNAPSHOT_AFTER {
        save_snapshot(&journals, &key, position, &open).await;
    }
    let mut unfinished = Vec::with_capacity(open.len());
    for (_, id) in open {
        let id = SagaId::from(id);
        match Log::peek(&journals, &id).await {
            Ok(record) if record.end().is_some() => ended(&journals, &id).await,
            // One that does not read is listed: opening it says why.
            _ => unfinished.push(id),
        }
    }
    Ok(unfinished)
}

/// The unfinished sagas as of the index's snapshot, each with the
/// position where it started, and that snapshot's position; none and 0
/// without a snapshot that decodes.
async fn load_snapshot(journals: &Journals, key: &str) -> Result<(HashMap<String, u64>, u64), SagaJournalError> {
    let snapshot = journals
        .store()
        .load_snapshot(key)
        .await
        .map_err(SagaJournalError::Journal)?;
    let Some(Snapshot { position, bytes }) = snapshot else {
        return Ok((HashMap::new(), 0));
    };
    match decode::<Vec<(u64, String)>>(key, position, &bytes) {
        Ok(open) => Ok((open.into_iter().map(|(started, id)| (id, started)).collect(), position)),
        Err(error) => {
            // The entries are the truth; the snapshot a shortcut.
            tracing::warn!(target: "phyx", journal = key, "the snapshot does not decode ({error}); reading every entry");
            Ok((HashMap::new(), 0))
        }
    }
}

async fn save_snapshot(journals: &Journals, key: &str, position: u64, open: &[(u64, String)]) {
    let saved = match encode(&open) {
        Ok(bytes) => journals.store().save_snapshot(key, Snapshot { position, bytes }).await,
        Err(error) => Err(JournalError::unavailable(key, error)),
    };
    if let Err(error) = saved {
        tracing::warn!(target: "phyx", journal = key, "snapshot not saved: {error}");
    }
}
