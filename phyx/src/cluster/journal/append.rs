//! Appending: one message per call, stored only if the journal's last
//! message is the one this writer saw last.
//!
//! Whenever the server says no (another message came since) or that it
//! has the message already (the same id), the journal's last message
//! settles it: if it is this very batch (an earlier try of the same
//! append got through), the append is done; otherwise another writer
//! appended, and this one conflicts.

use async_nats::jetstream::context::PublishErrorKind;
use bytes::Bytes;

use super::batch::{self, Span};
use super::read::Stored;
use super::{End, Inner, Kept};
use crate::cluster::subjects::key as subject_key;
use crate::journal::JournalError;

impl Inner {
    /// Appends `events` to journal `key` at position `first` and on.
    pub(super) async fn append(&self, key: &str, first: u64, events: Vec<Vec<u8>>) -> Result<(), JournalError> {
        if events.is_empty() {
            return Ok(());
        }
        let span = Span {
            first,
            count: events.len() as u64,
        };
        let token = subject_key(key);
        let subject = self.subjects.journal(&token);
        let payload = batch::payload(&events);
        let stream = self.stream(key, Kept::Events).await?;
        // The writer moved on from reading.
        let known = self.known(key, |known| {
            known.cursor = None;
            known.end.filter(|end| end.len + 1 == first)
        });
        let last = match known {
            Some(end) => end.last,
            // Not known, or a position this writer did not expect: the
            // server knows.
            None => {
                let last = self.last_message(key, &stream, &subject, first).await?;
                let next = last.as_ref().map_or(1, |last| last.span.next());
                if next != first {
                    return self.settle(key, &subject, span, &payload, last, "another writer's events are there");
                }
                last.map_or(0, |last| last.seq)
            }
        };
        let headers = batch::headers(&token, span, last);
        let publish = async {
            let acknowledged = self
                .js
                .publish_with_headers(subject.clone(), headers, payload.clone())
                .await?;
            acknowledged.await
        };
        let Some(published) = self.within(publish).await else {
            self.known(key, |known| known.end = None);
            let doing = format!(
                "appending {} events at position {first}: whether they were written is unknown",
                span.count
            );
            return Err(self.timed_out(key, &doing));
        };
        match published {
            Ok(ack) if !ack.duplicate => {
                self.set_end(
                    key,
                    End {
                        len: span.next() - 1,
                        last: ack.sequence,
                    },
                );
                Ok(())
            }
            // The server has a message with this id (a server that looks
            // at the id before the expected sequence: the order changed
            // across versions): this batch, or another writer's.
            Ok(ack) => {
                let original = self.message_at(key, &stream, &subject, ack.sequence, first).await?;
                if original
                    .as_ref()
                    .is_some_and(|original| ours(original, &subject, span, &payload))
                {
                    self.known(key, |known| known.end = None);
                    return Ok(());
                }
                let last = self.last_message(key, &stream, &subject, first).await?;
                let why = format!(
                    "it took them for a duplicate of message {} of the stream, which another writer sent under \
                     the same message id",
                    ack.sequence
                );
                self.settle(key, &subject, span, &payload, last, &why)
            }
            Err(error) if error.kind() == PublishErrorKind::WrongLastSequence => {
                let last = self.last_message(key, &stream, &subject, first).await?;
                let why = "the journal's last message is no longer the one this writer saw last: it was removed";
                self.settle(key, &subject, span, &payload, last, why)
            }
            Err(error) => Err(self.not_stored(key, span, payload.len(), &error)),
        }
    }

    /// Done if the journal's `last` message is this batch; a conflict if
    /// another writer's is there. The server refused the batch for `why`.
    fn settle(
        &self,
        key: &str,
        subject: &str,
        span: Span,
        payload: &Bytes,
        last: Option<Stored>,
        why: &str,
    ) -> Result<(), JournalError> {
        let end = last.as_ref().map_or(End::EMPTY, |last| End {
            len: last.span.next() - 1,
            last: last.seq,
        });
        self.set_end(key, end);
        match last {
            Some(last) if ours(&last, subject, span, payload) => Ok(()),
            // Refused though no other writer took the position.
            _ if end.len + 1 == span.first => Err(JournalError::unavailable(
                key,
                format!(
                    "the NATS server did not store the {} events at position {} ({why}); nothing was written, \
                     and the journal still ends before them: append again",
                    span.count, span.first
                ),
            )),
            _ => Err(JournalError::conflict(key, span.first, end.len + 1)),
        }
    }

    /// What a publish the server did not acknowledge means.
    fn not_stored(
        &self,
        key: &str,
        span: Span,
        bytes: usize,
        error: &async_nats::jetstream::context::PublishError,
    ) -> JournalError {
        let what = format!("the {} events at position {}", span.count, span.first);
        let message = match error.kind() {
            // Checked before sending.
            PublishErrorKind::MaxPayloadExceeded => format!(
                "{what} take {bytes} bytes in one message, more than the NATS server's `max_payload` ({} bytes); \
                 nothing was written: persist fewer events at a time, or raise `max_payload` in the server's \
                 configuration",
                self.max_payload
            ),
            PublishErrorKind::StreamNotFound => {
                self.lost(Kept::Events);
                format!(
                    "the stream `{}` is gone from the NATS server (deleted, or its store lost), so {what} were not \
                     written; the next call makes the stream again, without the events it held",
                    self.subjects.journal_stream()
                )
            }
            _ => {
                self.known(key, |known| known.end = None);
                format!(
                    "the NATS server did not confirm {what} ({error}); whether they were written is unknown: read \
                     the journal to find out"
                )
            }
        };
        JournalError::unavailable(key, message)
    }
}

/// Whether `stored` is the batch at `span` with `payload` on `subject`.
fn ours(stored: &Stored, subject: &str, span: Span, payload: &Bytes) -> bool {
    stored.span == span && stored.message.subject.as_str() == subject && stored.message.payload == *payload
}
