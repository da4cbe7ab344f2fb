//! One append as one JetStream message, and back.
//!
//! ```text
//! subject  phyx.<ns>.j.<key>
//! headers  Nats-Msg-Id: <key>:<first>                   (the server drops a second one)
//!          Nats-Expected-Last-Subject-Sequence: <seq>   (or the server refuses it)
//!          Phyx-First: <first>                          (the position of its first event)
//!          Phyx-Count: <count>                          (how many events it holds)
//! payload  for each event: its length (LEB128, as postcard writes a varint), its bytes
//! ```
//!
//! A message is stored whole or not at all, so an append is all or none
//! without the server's batch publish (which async-nats 0.51 does not
//! wrap, and which is limited to 1,000 messages a batch).

use async_nats::HeaderMap;
use async_nats::header::{HeaderName, NATS_EXPECTED_LAST_SUBJECT_SEQUENCE, NATS_MESSAGE_ID};
use bytes::Bytes;

// Names made once: a `&str` name becomes a `HeaderName` anew at every
// lookup, an allocation per message of a replay.

/// The header with the position of a batch's first event.
const FIRST: HeaderName = HeaderName::from_static("Phyx-First");

/// The header with the number of events in a batch.
const COUNT: HeaderName = HeaderName::from_static("Phyx-Count");

/// The header of a snapshot with the position it includes.
const POSITION: HeaderName = HeaderName::from_static("Phyx-Position");

/// The header of a snapshot with the stream sequence where reading the
/// events after it may start.
const RESUME: HeaderName = HeaderName::from_static("Phyx-Resume");

/// Where a batch sits in its journal: positions `first` to
/// `first + count - 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Span {
    pub(super) first: u64,
    pub(super) count: u64,
}

impl Span {
    /// The position after its last event.
    pub(super) fn next(self) -> u64 {
        self.first + self.count
    }
}

/// The headers of the batch at `first` with `count` events, which the
/// server stores only if the journal's last message is at stream
/// sequence `last` (0: a journal with no message yet).
pub(super) fn headers(key: &str, span: Span, last: u64) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(NATS_MESSAGE_ID, format!("{key}:{}", span.first).as_str());
    headers.insert(NATS_EXPECTED_LAST_SUBJECT_SEQUENCE, last.to_string().as_str());
    headers.insert(FIRST, span.first.to_string().as_str());
    headers.insert(COUNT, span.count.to_string().as_str());
    headers
}

/// The payload of a batch: each event's length, then its bytes.
pub(super) fn payload(events: &[Vec<u8>]) -> Bytes {
    let mut payload = Vec::with_capacity(events.iter().map(|event| event.len() + 10).sum());
    for event in events {
        put_length(&mut payload, event.len() as u64);
        payload.extend_from_slice(event);
    }
    payload.into()
}

/// Where a stored batch sits, from its headers.
pub(super) fn span(headers: Option<&HeaderMap>) -> Result<Span, String> {
    let first = number(headers, FIRST)?;
    let count = number(headers, COUNT)?;
    if first == 0 || count == 0 {
        return Err(format!(
            "its `{FIRST}: {first}` and `{COUNT}: {count}` headers name no event"
        ));
    }
    Ok(Span { first, count })
}

/// The events of a stored batch, checked against its span (a first pass
/// counts them: no allocation per message).
pub(super) fn events(span: Span, payload: &[u8]) -> Result<Events<'_>, String> {
    let mut counted = 0u64;
    let mut rest = payload;
    while !rest.is_empty() {
        let Some((_, after)) = next_event(rest) else {
            return Err(format!(
                "its payload breaks off in event {} of {}",
                counted + 1,
                span.count
            ));
        };
        counted += 1;
        rest = after;
    }
    if counted != span.count {
        return Err(format!(
            "its payload holds {counted} events, its `{COUNT}` header says {}",
            span.count
        ));
    }
    Ok(Events { rest: payload })
}

/// A checked batch's events, in order.
#[derive(Debug)]
pub(super) struct Events<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Events<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let (event, after) = next_event(self.rest)?;
        self.rest = after;
        Some(event)
    }
}

/// The event at the start of `bytes`, and what follows it.
fn next_event(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let (length, after) = take_length(bytes)?;
    after.split_at_checked(usize::try_from(length).ok()?)
}

/// The headers of a snapshot at `position`, and where the events after it
/// start, if known.
pub(super) fn snapshot_headers(position: u64, resume: Option<u64>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(POSITION, position.to_string().as_str());
    if let Some(resume) = resume {
        headers.insert(RESUME, resume.to_string().as_str());
    }
    headers
}

/// A stored snapshot's position, and where the events after it start.
pub(super) fn snapshot_position(headers: Option<&HeaderMap>) -> Result<(u64, Option<u64>), String> {
    let position = number(headers, POSITION)?;
    let resume = headers.and_then(|headers| headers.get(RESUME)).is_some();
    Ok((position, resume.then(|| number(headers, RESUME)).transpose()?))
}

fn number(headers: Option<&HeaderMap>, name: HeaderName) -> Result<u64, String> {
    let Some(value) = headers.and_then(|headers| headers.get(name.clone())) else {
        return Err(format!(
            "it has no `{name}` header: phyx's JetStream journal did not write it"
        ));
    };
    value
        .as_str()
        .parse()
        .map_err(|_| format!("its `{name}` header is `{value}`, not a number"))
}

/// A length as LEB128: seven bits a byte, the low ones first, the high
/// bit set on every byte but the last.
fn put_length(out: &mut Vec<u8>, mut length: u64) {
    while length >= 0x80 {
        out.push((length & 0x7f) as u8 | 0x80);
        length >>= 7;
    }
    out.push(length as u8);
}

/// The length at the start of `bytes`, and what follows it; `None` if it
/// breaks off or runs past ten bytes.
fn take_length(bytes: &[u8]) -> Option<(u64, &[u8])> {
    let mut length = 0u64;
    for (index, &byte) in bytes.iter().enumerate().take(10) {
        length |= u64::from(byte & 0x7f) << (7 * index);
        if byte & 0x80 == 0 {
            return Some((length, &bytes[index + 1..]));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(events: &[Vec<u8>], first: u64) -> Result<Vec<Vec<u8>>, String> {
        let span = Span {
            first,
            count: events.len() as u64,
        };
        let headers = headers("k", span, 7);
        let payload = payload(events);
        let span = super::span(Some(&headers))?;
        Ok(super::events(span, &payload)?.map(<[u8]>::to_vec).collect())
    }

    #[test]
    fn a_batch_reads_back_as_written() {
        let events = vec![b"a".to_vec(), Vec::new(), vec![7; 200], vec![1; 20_000]];
        assert_eq!(stored(&events, 5), Ok(events));
    }

    #[test]
    fn lengths_round_trip_at_every_byte_boundary() {
        for length in [0, 1, 127, 128, 16_383, 16_384, u64::from(u32::MAX), u64::MAX] {
            let mut out = Vec::new();
            put_length(&mut out, length);
            out.push(42);
            assert_eq!(take_length(&out), Some((length, &[42][..])), "{length}");
        }
        assert_eq!(take_length(&[0x80, 0x80]), None);
        assert_eq!(take_length(&[0xff; 11]), None);
    }

    #[test]
    fn damage_is_named_not_misread() {
        let span = Span { first: 1, count: 2 };
        let two = payload(&[b"ab".to_vec(), b"c".to_vec()]);
        assert!(events(span, &two).is_ok());
        assert!(
            events(span, &two[..two.len() - 1])
                .unwrap_err()
                .contains("breaks off in event 2 of 2")
        );
        assert!(
            events(Span { first: 1, count: 3 }, &two)
                .unwrap_err()
                .contains("holds 2 events")
        );
        assert!(span_of(&[]).unwrap_err().contains("no `Phyx-First` header"));
        assert!(
            span_of(&[(FIRST, "x"), (COUNT, "1")])
                .unwrap_err()
                .contains("`x`, not a number")
        );
        assert!(
            span_of(&[(FIRST, "0"), (COUNT, "1")])
                .unwrap_err()
                .contains("name no event")
        );
    }

    fn span_of(pairs: &[(HeaderName, &str)]) -> Result<Span, String> {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(name.clone(), *value);
        }
        span(Some(&headers))
    }

    #[test]
    fn a_snapshot_names_its_position_and_resume_point() {
        assert_eq!(
            snapshot_position(Some(&snapshot_headers(9, Some(40)))),
            Ok((9, Some(40)))
        );
        assert_eq!(snapshot_position(Some(&snapshot_headers(9, None))), Ok((9, None)));
        assert!(snapshot_position(None).is_err());
    }
}
