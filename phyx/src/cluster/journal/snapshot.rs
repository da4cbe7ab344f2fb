//! Snapshots: the latest of each journal, one message per subject in
//! their own stream (`max_messages_per_subject: 1`, so a new one replaces
//! the one before), with the stream sequence where the events after it
//! start, so that a replay after a snapshot needs no search.
//!
//! A stream rather than a key-value bucket (which is such a stream
//! underneath): headers carry the position and the resume point, the
//! payload is the snapshot's bytes as they are, and one kind of lookup
//! serves events and snapshots.

use async_nats::jetstream::stream::RawMessageErrorKind;

use super::batch;
use super::{Inner, Kept, Resume};
use crate::cluster::subjects::key as subject_key;
use crate::journal::{JournalError, Snapshot};

impl Inner {
    /// Saves `snapshot` as journal `key`'s latest.
    pub(super) async fn save_snapshot(&self, key: &str, snapshot: Snapshot) -> Result<(), JournalError> {
        let Snapshot { position, bytes } = snapshot;
        // Where the event after it is, if this writer saw the journal end
        // there.
        let resume = self.known(key, |known| {
            known.end.filter(|end| end.len == position).map(|end| end.last + 1)
        });
        self.stream(key, Kept::Snapshots).await?;
        let subject = self.subjects.snapshot(&subject_key(key));
        let headers = batch::snapshot_headers(position, resume);
        let publish = async {
            let acknowledged = self.js.publish_with_headers(subject, headers, bytes.into()).await?;
            acknowledged.await
        };
        match self.bounded(key, "saving a snapshot", publish).await? {
            Ok(_) => Ok(()),
            Err(error) => {
                if error.kind() == async_nats::jetstream::context::PublishErrorKind::StreamNotFound {
                    self.lost(Kept::Snapshots);
                }
                Err(JournalError::unavailable(
                    key,
                    format!(
                        "the NATS server did not store the snapshot at position {position} ({error}); the events are \
                         all in the journal, so nothing is lost but the shortcut"
                    ),
                ))
            }
        }
    }

    /// Journal `key`'s latest snapshot. One the store cannot make sense of
    /// is skipped, with a warning: the events are the truth.
    pub(super) async fn load_snapshot(&self, key: &str) -> Result<Option<Snapshot>, JournalError> {
        let stream = self.stream(key, Kept::Snapshots).await?;
        let subject = self.subjects.snapshot(&subject_key(key));
        let request = stream.raw_message_builder().last_by_subject(subject).send();
        let message = match self.bounded(key, "loading the snapshot", request).await? {
            Ok(message) => message,
            Err(error) if matches!(error.kind(), RawMessageErrorKind::NoMessageFound) => return Ok(None),
            Err(error) => {
                return Err(JournalError::unavailable(
                    key,
                    format!("the NATS server did not give the snapshot ({error})"),
                ));
            }
        };
        let (position, resume) = match batch::snapshot_position(Some(&message.headers)) {
            Ok(read) => read,
            Err(why) => {
                tracing::warn!(
                    target: "phyx", journal = key, seq = message.sequence,
                    "the snapshot in stream `{}` does not read ({why}); replaying every event instead",
                    self.subjects.snapshot_stream()
                );
                return Ok(None);
            }
        };
        if let Some(seq) = resume {
            self.known(key, |known| {
                known.resume = Some(Resume {
                    position: position + 1,
                    seq,
                });
            });
        }
        Ok(Some(Snapshot {
            position,
            bytes: message.payload.to_vec(),
        }))
    }
}
