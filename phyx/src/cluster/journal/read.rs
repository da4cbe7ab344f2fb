//! Reading a journal: from a position to the stream sequence of the
//! message that holds it, then a consumer on the journal's subject that
//! fetches thousands of messages a round trip, kept from one `read` to the
//! next so that a replay streams through one consumer.
//!
//! Where to start comes from what the writer knows (the end it saw, where
//! its last read stopped, a snapshot's resume point), checked against the
//! first message found there; knowing nothing, a binary search over the
//! stream's sequences, a few dozen round trips even for millions of
//! messages.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use async_nats::jetstream::consumer::{AckPolicy, Consumer, DeliverPolicy, pull};
use async_nats::jetstream::message::StreamMessage;
use async_nats::jetstream::stream::{RawMessageErrorKind, Stream};
use futures_util::StreamExt;

use super::batch::{self, Span};
use super::{End, Inner, Kept, Resume};
use crate::cluster::subjects::key as subject_key;
use crate::journal::JournalError;

/// Messages asked for in one fetch, at most.
const FETCH: usize = 4096;

/// Bytes asked for in one fetch, at most (twice the largest message, if
/// that is more).
const FETCH_BYTES: usize = 16 << 20;

/// How long the server keeps a reading consumer nobody fetches from. A
/// cursor idle for half of it starts afresh.
const IDLE: Duration = Duration::from_secs(30);

/// A journal's message as stored.
pub(super) struct Stored {
    pub(super) seq: u64,
    pub(super) span: Span,
    pub(super) message: StreamMessage,
}

/// A read in progress: a consumer on the journal's subject, and where it
/// is.
pub(super) struct Cursor {
    stream: Stream<()>,
    consumer: Consumer<pull::Config>,
    subject: String,
    /// The position of the next event it returns: the first of `left`,
    /// or of the next message's events once `left` is empty.
    next: u64,
    /// Events of the last message taken, not returned yet.
    left: VecDeque<Vec<u8>>,
    /// Where the next message must start; `None` before the first.
    expect: Option<u64>,
    /// The stream sequence of the last message taken.
    last: u64,
    /// The last message taken was the journal's last when the server
    /// sent it.
    end: bool,
    /// When it last fetched.
    used: Instant,
}

impl Drop for Cursor {
    fn drop(&mut self) {
        // The server would drop the consumer once idle; tell it now.
        let (stream, name) = (self.stream.clone(), self.consumer.cached_info().name.clone());
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let _ = stream.delete_consumer(&name).await;
            });
        }
    }
}

impl Cursor {
    /// Where a read of `self.next` and on could start again, once it
    /// took a message.
    fn resume(&self) -> Option<Resume> {
        let seq = match self.left.is_empty() {
            true => self.last + 1,
            false => self.last,
        };
        self.expect.map(|_| Resume {
            position: self.next,
            seq,
        })
    }
}

impl Inner {
    /// `max` events of journal `key` from position `from` on.
    pub(super) async fn read(&self, key: &str, from: u64, max: usize) -> Result<Vec<Vec<u8>>, JournalError> {
        let from = from.max(1);
        if max == 0 {
            return Ok(Vec::new());
        }
        let now = self.clock.now();
        let going = self.known(key, |known| {
            known
                .cursor
                .take()
                .filter(|cursor| cursor.next == from && now.duration_since(cursor.used) < IDLE / 2)
        });
        let mut cursor = match going {
            Some(cursor) => cursor,
            None => match self.open(key, from).await? {
                Some(cursor) => cursor,
                None => return Ok(Vec::new()),
            },
        };
        let events = self.take(key, &mut cursor, max).await?;
        self.known(key, |known| {
            known.resume = cursor.resume().or(known.resume);
            if !(cursor.end && cursor.left.is_empty()) {
                known.cursor = Some(cursor);
            } else if let Some(expect) = cursor.expect {
                known.end = Some(End {
                    len: expect - 1,
                    last: cursor.last,
                });
            }
        });
        Ok(events)
    }

    /// A cursor at position `from`; `None` if the journal has nothing
    /// there.
    async fn open(&self, key: &str, from: u64) -> Result<Option<Cursor>, JournalError> {
        let stream = self.stream(key, Kept::Events).await?;
        let subject = self.subjects.journal(&subject_key(key));
        let Some(start) = self.locate(key, &stream, &subject, from).await? else {
            return Ok(None);
        };
        let config = pull::Config {
            filter_subject: subject.clone(),
            deliver_policy: DeliverPolicy::ByStartSequence { start_sequence: start },
            ack_policy: AckPolicy::None,
            inactive_threshold: IDLE,
            memory_storage: true,
            ..Default::default()
        };
        let consumer = self
            .bounded(key, "opening a reader of the journal", stream.create_consumer(config))
            .await?
            .map_err(|error| {
                JournalError::unavailable(key, format!("could not open a reader of the journal ({error})"))
            })?;
        Ok(Some(Cursor {
            stream,
            consumer,
            subject,
            next: from,
            left: VecDeque::new(),
            expect: None,
            last: 0,
            end: false,
            used: self.clock.now(),
        }))
    }

    /// Up to `max` events from the cursor, fetching as needed.
    async fn take(&self, key: &str, cursor: &mut Cursor, max: usize) -> Result<Vec<Vec<u8>>, JournalError> {
        let mut events = Vec::with_capacity(max.min(FETCH));
        loop {
            while events.len() < max
                && let Some(event) = cursor.left.pop_front()
            {
                events.push(event);
                cursor.next += 1;
            }
            if events.len() == max || cursor.end {
                return Ok(events);
            }
            self.fetch(key, cursor, max - events.len()).await?;
        }
    }

    /// Takes the next messages (up to `want`) into the cursor.
    async fn fetch(&self, key: &str, cursor: &mut Cursor, want: usize) -> Result<(), JournalError> {
        let reading = cursor.next;
        let unavailable = |error: &dyn std::fmt::Display| {
            JournalError::unavailable(key, format!("reading from position {reading}: {error}"))
        };
        let request = cursor
            .consumer
            .fetch()
            .max_messages(want.min(FETCH))
            .max_bytes(FETCH_BYTES.max(2 * self.max_payload))
            .messages();
        let mut messages = self
            .bounded(key, "reading the journal", request)
            .await?
            .map_err(|error| unavailable(&error))?;
        let mut taken = 0;
        // Each message gives the next the whole timeout: one timer, renewed
        // once half of it has gone, rather than one per message.
        let mut deadline = self.clock.now() + self.timeout;
        let mut timer = self.clock.sleep_until(deadline);
        loop {
            let message = tokio::select! {
                message = messages.next() => message,
                () = &mut timer => return Err(self.timed_out(key, "reading the journal")),
            };
            let Some(message) = message else { break };
            let now = self.clock.now();
            if deadline.saturating_duration_since(now) < self.timeout / 2 {
                deadline = now + self.timeout;
                timer = self.clock.sleep_until(deadline);
            }
            let message = match message {
                Ok(message) => message,
                // The server ends a fetch at its byte limit with a status,
                // which async-nats gives as an error: the messages before
                // it came whole, and the next fetch goes on (and reports
                // an error that lasts).
                Err(_) if taken > 0 => break,
                Err(error) => return Err(unavailable(&error)),
            };
            let (seq, pending) = match message.info() {
                Ok(info) => (info.stream_sequence, info.pending),
                Err(error) => return Err(unavailable(&error)),
            };
            let stored = message.message;
            let position = cursor.next + cursor.left.len() as u64;
            let span = batch::span(stored.headers.as_ref()).map_err(|why| self.damaged(key, position, seq, &why))?;
            self.check(key, cursor, span).await?;
            let events = batch::events(span, &stored.payload).map_err(|why| self.damaged(key, position, seq, &why))?;
            let skip = usize::try_from(position.saturating_sub(span.first)).unwrap_or(usize::MAX);
            cursor.left.extend(events.skip(skip).map(<[u8]>::to_vec));
            cursor.expect = Some(span.next());
            cursor.last = seq;
            cursor.end = pending == 0;
            taken += 1;
        }
        // Nothing came: the journal ends before the server counted.
        cursor.end |= taken == 0;
        cursor.used = self.clock.now();
        Ok(())
    }

    /// Checks that a message starts where the cursor expects: right after
    /// the one before, or, for the first, at or before the cursor's
    /// position.
    async fn check(&self, key: &str, cursor: &Cursor, span: Span) -> Result<(), JournalError> {
        let Some(expect) = cursor.expect else {
            return match span.first <= cursor.next {
                true => Ok(()),
                false => Err(self.damaged(
                    key,
                    cursor.next,
                    0,
                    &format!(
                        "no message holds it: the journal's messages go on at position {}",
                        span.first
                    ),
                )),
            };
        };
        if span.first == expect {
            return Ok(());
        }
        // A message lost on its way here, or a hole in the journal: the
        // server's copy tells which.
        let stream = &cursor.stream;
        let stored = self
            .next_message(key, stream, &cursor.subject, cursor.last + 1, expect)
            .await?;
        Err(match stored {
            Some(stored) if stored.span.first == expect => JournalError::unavailable(
                key,
                format!(
                    "a message of the journal at position {expect} was lost on its way from the server; read again"
                ),
            ),
            _ => self.damaged(
                key,
                expect,
                cursor.last,
                &format!("the next message starts at position {}", span.first),
            ),
        })
    }

    /// The stream sequence to read position `from` from; `None` if the
    /// journal has nothing there.
    async fn locate(
        &self,
        key: &str,
        stream: &Stream<()>,
        subject: &str,
        from: u64,
    ) -> Result<Option<u64>, JournalError> {
        // Exact hints only: one from further back would have the
        // consumer skip what lies between.
        let hint = self.known(key, |known| {
            let after_end = known.end.filter(|end| from == end.len + 1).map(|end| end.last + 1);
            let resumed = known
                .resume
                .filter(|resume| from == resume.position)
                .map(|resume| resume.seq);
            after_end.max(resumed)
        });
        if let Some(seq) = hint.or((from == 1).then_some(1)) {
            match self.next_message(key, stream, subject, seq, from).await? {
                Some(stored) if stored.span.first <= from => return Ok(Some(stored.seq)),
                None if seq == 1 => {
                    self.set_end(key, End::EMPTY);
                    return Ok(None);
                }
                // The hint was wrong (the stream was made again since,
                // say): search.
                _ => {}
            }
        }
        self.search(key, stream, subject, from).await
    }

    /// Finds the message that holds position `from` by its `Phyx-First`
    /// header: the last message is looked at first (reading at the end is
    /// common), then a binary search over the stream's sequences below it.
    async fn search(
        &self,
        key: &str,
        stream: &Stream<()>,
        subject: &str,
        from: u64,
    ) -> Result<Option<u64>, JournalError> {
        let Some(last) = self.last_message(key, stream, subject, from).await? else {
            self.set_end(key, End::EMPTY);
            return Ok(None);
        };
        self.set_end(
            key,
            End {
                len: last.span.next() - 1,
                last: last.seq,
            },
        );
        if from >= last.span.next() {
            return Ok(None);
        }
        if from >= last.span.first {
            return Ok(Some(last.seq));
        }
        // The last message (by sequence) with `Phyx-First` <= `from`.
        let (mut low, mut high, mut found) = (1, last.seq - 1, None);
        while low <= high {
            let middle = low + (high - low) / 2;
            match self.next_message(key, stream, subject, middle, from).await? {
                Some(stored) if stored.seq <= high && stored.span.first <= from => {
                    found = Some(stored.seq);
                    low = stored.seq + 1;
                }
                _ => high = middle - 1,
            }
        }
        // None: the first message starts past `from`, which reading from
        // it reports.
        Ok(Some(found.unwrap_or(1)))
    }

    /// The journal's first message at stream sequence `seq` or later
    /// (`position`: what is being read, for errors).
    pub(super) async fn next_message(
        &self,
        key: &str,
        stream: &Stream<()>,
        subject: &str,
        seq: u64,
        position: u64,
    ) -> Result<Option<Stored>, JournalError> {
        let request = stream
            .raw_message_builder()
            .sequence(seq)
            .next_by_subject(subject.to_owned())
            .send();
        self.stored(
            key,
            position,
            self.bounded(key, "looking for a message", request).await?,
        )
    }

    /// The journal's last message (`position`: what is being read or
    /// written, for errors).
    pub(super) async fn last_message(
        &self,
        key: &str,
        stream: &Stream<()>,
        subject: &str,
        position: u64,
    ) -> Result<Option<Stored>, JournalError> {
        let request = stream.raw_message_builder().last_by_subject(subject.to_owned()).send();
        self.stored(
            key,
            position,
            self.bounded(key, "looking for the journal's end", request).await?,
        )
    }

    /// The journal's message at stream sequence `seq`, if the message
    /// there is on the journal's subject.
    pub(super) async fn message_at(
        &self,
        key: &str,
        stream: &Stream<()>,
        subject: &str,
        seq: u64,
        position: u64,
    ) -> Result<Option<Stored>, JournalError> {
        let request = stream.raw_message_builder().sequence(seq).send();
        let got = self.bounded(key, "looking for a message", request).await?;
        let elsewhere = got.as_ref().is_ok_and(|message| message.subject.as_str() != subject);
        match elsewhere {
            true => Ok(None),
            false => self.stored(key, position, got),
        }
    }

    fn stored(
        &self,
        key: &str,
        position: u64,
        got: Result<StreamMessage, async_nats::jetstream::stream::RawMessageError>,
    ) -> Result<Option<Stored>, JournalError> {
        let message = match got {
            Ok(message) => message,
            Err(error) if matches!(error.kind(), RawMessageErrorKind::NoMessageFound) => return Ok(None),
            Err(error) => {
                return Err(JournalError::unavailable(
                    key,
                    format!("the NATS server did not give the journal's message ({error})"),
                ));
            }
        };
        let span =
            batch::span(Some(&message.headers)).map_err(|why| self.damaged(key, position, message.sequence, &why))?;
        Ok(Some(Stored {
            seq: message.sequence,
            span,
            message,
        }))
    }

    /// [`JournalError::Corrupt`] from `position` on, for message `seq`
    /// (0: none in particular) and `why`.
    fn damaged(&self, key: &str, position: u64, seq: u64, why: &str) -> JournalError {
        let stream = self.subjects.journal_stream();
        let message = match seq {
            0 => String::new(),
            seq => format!("message {seq} of stream `{stream}`: "),
        };
        JournalError::corrupt(key, position, format!("{message}{why}"))
    }
}
