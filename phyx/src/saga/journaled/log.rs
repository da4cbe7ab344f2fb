//! A journaled saga's journal while the saga runs: read whole when it is
//! opened, then appended to, one entry at a time, by its one writer.

use std::sync::Arc;

use crate::journal::{Claim, JournalError, Journals, RESERVED, decode_from, encode};
use crate::kernel::system::SystemInner;
use crate::saga::journaled::entry::{Entry, Record};
use crate::saga::journaled::index;
use crate::saga::{SagaId, SagaJournalError};

/// A saga's journal, open for writing.
pub(crate) struct Log {
    journals: Arc<Journals>,
    /// Held while the log is: a saga's journal has one writer per system.
    _claim: Claim,
    id: SagaId,
    key: Arc<str>,
    /// Where the next entry goes.
    next: u64,
    /// What the journal holds, as far as this writer knows.
    pub(super) record: Record,
    /// An append whose caller went away before it finished: whether the
    /// entry is in the journal is unknown until it is read back.
    unsure: bool,
    /// The failure that stopped this writer: it writes nothing more, and
    /// the journal, as it stands, decides the saga's next run.
    broken: Option<JournalError>,
}

/// The journal of saga `id`.
pub(super) fn key_of(id: &SagaId) -> String {
    format!("{RESERVED}saga/{id}")
}

impl Log {
    /// Opens saga `id`'s journal on `system`'s store and reads it.
    pub(super) async fn open(system: &SystemInner, id: SagaId) -> Result<Self, SagaJournalError> {
        let journals = Journals::of(system).ok_or(SagaJournalError::NoStore)?;
        let key: Arc<str> = key_of(&id).into();
        let claim = journals
            .claim(key.clone())
            .ok_or_else(|| SagaJournalError::AlreadyOpen { saga: id.clone() })?;
        let mut log = Self {
            journals,
            _claim: claim,
            id,
            key,
            next: 1,
            record: Record::default(),
            unsure: true,
            broken: None,
        };
        log.settle().await.map_err(SagaJournalError::Journal)?;
        Ok(log)
    }

    /// What saga `id`'s journal holds, read without opening it for
    /// writing.
    pub(super) async fn peek(journals: &Journals, id: &SagaId) -> Result<Record, JournalError> {
        let key = key_of(id);
        let mut record = Record::default();
        read_into(&mut record, journals, &key, 1).await?;
        Ok(record)
    }

    /// Reads back what is unsure; fails if this writer has stopped.
    pub(super) async fn settle(&mut self) -> Result<(), JournalError> {
        if let Some(error) = &self.broken {
            return Err(error.clone());
        }
        if self.unsure {
            match read_into(&mut self.record, &self.journals, &self.key, self.next).await {
                Ok(next) => {
                    self.next = next;
                    self.unsure = false;
                }
                Err(error) => return Err(self.stop(error)),
            }
        }
        Ok(())
    }

    /// Appends `entry`. Once this fails, the log writes nothing more.
    ///
    /// # Cancel safety
    ///
    /// Dropped before it finishes, the entry may or may not be written:
    /// the next write reads the journal back first.
    pub(super) async fn write(&mut self, entry: Entry) -> Result<(), JournalError> {
        self.settle().await?;
        if self.next == 1 {
            // Listed before its first entry: a saga the index misses
            // would never be resumed.
            if let Err(error) = index::started(&self.journals, &self.id).await {
                return Err(self.stop(error));
            }
        }
        let bytes = match encode(&entry) {
            Ok(bytes) => bytes,
            Err(error) => return Err(self.stop(JournalError::unavailable(&*self.key, error))),
        };
        let end = matches!(entry, Entry::End(_));
        self.unsure = true;
        let appended = self.journals.store().append(&self.key, self.next, vec![bytes]).await;
        self.unsure = false;
        if let Err(error) = appended {
            return Err(self.stop(error));
        }
        if let Err(detail) = self.record.apply(entry, self.next) {
            // Only a bug of this writer gets here; it stops rather than
            // write more that a replay would refuse.
            return Err(self.stop(JournalError::corrupt(&*self.key, self.next, detail)));
        }
        self.next += 1;
        if end {
            index::ended(&self.journals, &self.id).await;
        }
        Ok(())
    }

    /// Appends `entry`, or logs why it could not: for what a resume can
    /// do again (a compensation, the end of one), where the saga goes on.
    pub(super) async fn write_or_log(&mut self, entry: Entry) {
        if let Err(error) = self.write(entry).await {
            tracing::warn!(target: "phyx", saga = %self.id, "{error}; a resume of the saga does this again");
        }
    }

    /// Records that the saga compensates, unless the journal says so
    /// already (a failed step, an earlier abort).
    pub(super) async fn compensating(&mut self) -> Result<(), JournalError> {
        self.settle().await?;
        if self.record.compensates() {
            return Ok(());
        }
        self.write(Entry::Aborted).await
    }

    /// Whether this writer can still write.
    pub(super) fn is_writing(&self) -> bool {
        self.broken.is_none()
    }

    /// The journal's name.
    pub(super) fn key(&self) -> &str {
        &self.key
    }

    fn stop(&mut self, error: JournalError) -> JournalError {
        self.broken = Some(error.clone());
        error
    }
}

/// Reads journal `key` from position `from` on into `record`, and returns
/// the position after its end.
async fn read_into(record: &mut Record, journals: &Journals, key: &str, from: u64) -> Result<u64, JournalError> {
    let mut position = from;
    for entry in decode_from::<Entry>(journals.store(), key, from).await? {
        record
            .apply(entry, position)
            .map_err(|detail| JournalError::corrupt(key, position, detail))?;
        position += 1;
    }
    Ok(position)
}

impl std::fmt::Debug for Log {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Log")
            .field("key", &self.key)
            .field("next", &self.next)
            .field("broken", &self.broken)
            .finish_non_exhaustive()
    }
}
