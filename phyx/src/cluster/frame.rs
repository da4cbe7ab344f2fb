//! The bytes of one message between nodes, around the arguments or reply
//! that the codec writes: a fixed header a stranger's bytes must pass
//! before anything is decoded.
//!
//! ```text
//! request: version (1) | kind (1) | schema (8, LE) | method (2, LE) | arguments
//! reply:   status (1) | value, or a UTF-8 sentence
//! ```

use std::cell::{Cell, RefCell};

use bytes::{Bytes, BytesMut};

use crate::kernel::reply::{NoReply, Unreachable};

const VERSION: u8 = 1;

/// The bytes before a request's arguments.
pub(crate) const REQUEST_HEADER: usize = 12;

/// What the caller waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Nothing: `send`.
    Tell,
    /// The handler's reply.
    Ask,
    /// Room in the mailbox: `send_wait`.
    TellWait,
    /// The process to stop: `Handle::stop`; no arguments.
    Stop,
}

impl Kind {
    fn byte(self) -> u8 {
        match self {
            Self::Tell => 0,
            Self::Ask => 1,
            Self::TellWait => 2,
            Self::Stop => 3,
        }
    }

    fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            0 => Some(Self::Tell),
            1 => Some(Self::Ask),
            2 => Some(Self::TellWait),
            3 => Some(Self::Stop),
            _ => None,
        }
    }
}

/// A request's header, as read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Request {
    pub(crate) kind: Kind,
    pub(crate) schema: u64,
    pub(crate) method: u16,
}

/// Frames up to this size are copied into a [`BLOCK`] by [`freeze`].
const SHARED_UP_TO: usize = 1024;

/// The size of the blocks that small frames share.
const BLOCK: usize = 16 * 1024;

thread_local! {
    /// The buffer of this thread's next frame: [`request_buffer`] takes
    /// it, [`freeze`] puts back the larger of it and the frame's. Taken
    /// and put back, never borrowed: an argument's `Serialize` that sends
    /// a remote message of its own finds it empty, and allocates.
    static BUFFER: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };

    /// The block this thread's small frames are frozen into. Each frozen
    /// frame holds a reference to it; once it is full, the next frame
    /// reuses it if every frame in it has been written out and dropped,
    /// else starts a new one.
    static FROZEN: RefCell<BytesMut> = RefCell::new(BytesMut::new());
}

/// A buffer with room for a request's header, for the arguments to be
/// appended to.
pub(crate) fn request_buffer() -> Vec<u8> {
    let mut out = BUFFER.try_with(Cell::take).unwrap_or_default();
    out.clear();
    out.reserve(64);
    out.resize(REQUEST_HEADER, 0);
    out
}

/// `frame` as the bytes to publish.
///
/// `Bytes::from` a vector whose capacity is not its length allocates a
/// header beside the vector: two allocations per message, freed by the
/// connection's task. A small frame is copied into this thread's block
/// instead (an allocation per [`BLOCK`] bytes at most), and its buffer
/// kept for the next one.
pub(crate) fn freeze(frame: Vec<u8>) -> Bytes {
    if frame.len() > SHARED_UP_TO {
        return Bytes::from(frame);
    }
    // `try_`: a message sent while the thread's locals are torn down goes
    // out as it is.
    let frozen = FROZEN.try_with(|block| {
        let mut block = block.try_borrow_mut().ok()?;
        if block.capacity() < frame.len() {
            block.reserve(BLOCK);
        }
        block.extend_from_slice(&frame);
        Some(block.split().freeze())
    });
    match frozen {
        Ok(Some(bytes)) => {
            // The larger buffer stays: a reply's few bytes do not replace
            // a request's room for its header and arguments.
            let _ = BUFFER.try_with(|buffer| {
                let kept = buffer.take();
                buffer.set(if kept.capacity() >= frame.capacity() {
                    kept
                } else {
                    frame
                });
            });
            bytes
        }
        _ => Bytes::from(frame),
    }
}

/// Writes the header into the room [`request_buffer`] left.
pub(crate) fn write_request(out: &mut [u8], request: Request) {
    out[0] = VERSION;
    out[1] = request.kind.byte();
    out[2..10].copy_from_slice(&request.schema.to_le_bytes());
    out[10..12].copy_from_slice(&request.method.to_le_bytes());
}

/// Reads a request's header; the arguments follow it.
pub(crate) fn read_request(bytes: &[u8]) -> Result<(Request, &[u8]), String> {
    if bytes.len() < REQUEST_HEADER {
        return Err(format!(
            "a request of {} bytes is shorter than its {REQUEST_HEADER}-byte header",
            bytes.len()
        ));
    }
    let (header, args) = bytes.split_at(REQUEST_HEADER);
    if header[0] != VERSION {
        return Err(format!(
            "frame version {} is not {VERSION}: the sender runs another phyx",
            header[0]
        ));
    }
    let kind = Kind::from_byte(header[1]).ok_or_else(|| format!("unknown request kind {}", header[1]))?;
    let mut schema = [0; 8];
    schema.copy_from_slice(&header[2..10]);
    let method = u16::from_le_bytes([header[10], header[11]]);
    let request = Request {
        kind,
        schema: u64::from_le_bytes(schema),
        method,
    };
    Ok((request, args))
}

/// How a request ended, on the wire.
const VALUE: u8 = 0;
const ACCEPTED: u8 = 1;
const PANICKED: u8 = 2;
const STOPPED: u8 = 3;
const FULL: u8 = 4;
const DROPPED: u8 = 5;
const REPLY_DROPPED: u8 = 6;
const TRANSPORT: u8 = 7;
const TAKEN: u8 = 8;
const NODE_DOWN: u8 = 9;

/// A reply carrying the handler's value, encoded.
pub(crate) fn value_reply(mut value: Vec<u8>) -> Vec<u8> {
    value.insert(0, VALUE);
    value
}

/// The reply to a `send_wait` whose message entered the mailbox.
pub(crate) fn accepted_reply() -> Vec<u8> {
    vec![ACCEPTED]
}

/// What a member of a pool across nodes answers first to an ask it took:
/// which node has it (its start's `incarnation`, and its name), so that
/// the caller knows whose loss fails it. The real reply follows.
pub(crate) fn taken_reply(node: &str, incarnation: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(9 + node.len());
    out.push(TAKEN);
    out.extend_from_slice(&incarnation.to_le_bytes());
    out.extend_from_slice(node.as_bytes());
    out
}

/// The node of a [`taken_reply`], if `bytes` is one.
pub(crate) fn read_taken(bytes: &[u8]) -> Option<(&str, u64)> {
    let (&TAKEN, rest) = bytes.split_first()? else {
        return None;
    };
    let (incarnation, node) = rest.split_first_chunk::<8>()?;
    Some((std::str::from_utf8(node).ok()?, u64::from_le_bytes(*incarnation)))
}

/// The reply for an ask whose process stopped because its node is
/// shutting down: its caller hears that the node is going.
pub(crate) fn leaving_reply(node: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + node.len());
    out.push(NODE_DOWN);
    out.extend_from_slice(node.as_bytes());
    out
}

/// Whether `reply` says the process stopped.
pub(crate) fn is_stopped(reply: &[u8]) -> bool {
    reply.first() == Some(&STOPPED)
}

/// The reply for a request that got no value.
pub(crate) fn failure_reply(why: &NoReply) -> Vec<u8> {
    let (status, text): (u8, &str) = match why {
        NoReply::Panicked(message) => (PANICKED, message),
        NoReply::Stopped | NoReply::Unreachable(Unreachable::Stopped | Unreachable::NodeDown(_)) => (STOPPED, ""),
        NoReply::Unreachable(Unreachable::Full) => (FULL, ""),
        NoReply::Dropped => (DROPPED, ""),
        NoReply::ReplyDropped => (REPLY_DROPPED, ""),
        NoReply::Unreachable(Unreachable::Transport(reason)) => (TRANSPORT, reason),
    };
    let mut out = Vec::with_capacity(1 + text.len());
    out.push(status);
    out.extend_from_slice(text.as_bytes());
    out
}

/// A reply, as read.
#[derive(Debug, PartialEq)]
pub(crate) enum Reply<'a> {
    /// The handler's encoded value.
    Value(&'a [u8]),
    /// A `send_wait`'s message entered the mailbox.
    Accepted,
    /// No value, and why.
    Failed(NoReply),
}

/// Reads a reply.
pub(crate) fn read_reply(bytes: &[u8]) -> Reply<'_> {
    let Some((&status, rest)) = bytes.split_first() else {
        return Reply::Failed(malformed("an empty reply"));
    };
    let text = || String::from_utf8_lossy(rest).into_owned();
    match status {
        VALUE => Reply::Value(rest),
        ACCEPTED => Reply::Accepted,
        PANICKED => Reply::Failed(NoReply::Panicked(text().into())),
        STOPPED => Reply::Failed(NoReply::Stopped),
        FULL => Reply::Failed(NoReply::Unreachable(Unreachable::Full)),
        DROPPED => Reply::Failed(NoReply::Dropped),
        REPLY_DROPPED => Reply::Failed(NoReply::ReplyDropped),
        TRANSPORT => Reply::Failed(NoReply::Unreachable(Unreachable::Transport(text().into()))),
        NODE_DOWN => Reply::Failed(NoReply::Unreachable(Unreachable::NodeDown(text().into()))),
        other => Reply::Failed(malformed(&format!("a reply of unknown status {other}"))),
    }
}

fn malformed(what: &str) -> NoReply {
    NoReply::Unreachable(Unreachable::Transport(format!("the node answered with {what}").into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_header_round_trips() {
        let mut out = request_buffer();
        out.extend_from_slice(b"args");
        let request = Request {
            kind: Kind::TellWait,
            schema: 0x0123_4567_89ab_cdef,
            method: 513,
        };
        write_request(&mut out, request);
        assert_eq!(read_request(&out), Ok((request, &b"args"[..])));
    }

    #[test]
    fn frozen_frames_keep_their_bytes() {
        let frames: Vec<Vec<u8>> = (0..3 * BLOCK / 100)
            .map(|n| (0..100).map(|i| (n + i) as u8).collect())
            .chain([vec![7; SHARED_UP_TO + 1], Vec::new()])
            .collect();
        let frozen: Vec<Bytes> = frames.iter().cloned().map(freeze).collect();
        for (frame, bytes) in frames.iter().zip(&frozen) {
            assert_eq!(&bytes[..], &frame[..]);
        }
        // All dropped but one: the next frames go to a reclaimed block or
        // a new one, and the one still held keeps its bytes.
        let last = frozen[frames.len() - 3].clone();
        drop(frozen);
        let again: Vec<Bytes> = frames.iter().rev().cloned().map(freeze).collect();
        for (frame, bytes) in frames.iter().rev().zip(&again) {
            assert_eq!(&bytes[..], &frame[..]);
        }
        assert_eq!(&last[..], &frames[frames.len() - 3][..]);
        // The buffer comes back empty, with room for a header.
        assert_eq!(request_buffer(), vec![0; REQUEST_HEADER]);
    }

    #[test]
    fn replies_round_trip() {
        assert_eq!(read_reply(&value_reply(vec![1, 2])), Reply::Value(&[1, 2]));
        assert_eq!(read_reply(&accepted_reply()), Reply::Accepted);
        assert_eq!(read_taken(&taken_reply("node-a", 7)), Some(("node-a", 7)));
        assert_eq!(read_taken(&accepted_reply()), None);
        assert_eq!(read_taken(&[TAKEN, 1, 2]), None);
        assert_eq!(
            read_reply(&leaving_reply("node-a")),
            Reply::Failed(NoReply::Unreachable(Unreachable::NodeDown("node-a".into())))
        );
        assert!(is_stopped(&failure_reply(&NoReply::Stopped)));
        for why in [
            NoReply::Panicked("boom".into()),
            NoReply::Stopped,
            NoReply::Dropped,
            NoReply::ReplyDropped,
            NoReply::Unreachable(Unreachable::Full),
            NoReply::Unreachable(Unreachable::Transport("too big".into())),
        ] {
            assert_eq!(read_reply(&failure_reply(&why)), Reply::Failed(why));
        }
    }

    #[test]
    fn bad_headers_are_errors() {
        assert!(read_request(&[]).is_err());
        assert!(read_request(&[VERSION; 11]).is_err());
        let mut wrong_version = request_buffer();
        wrong_version[0] = 9;
        assert!(read_request(&wrong_version).unwrap_err().contains("version 9"));
        let mut wrong_kind = request_buffer();
        write_request(
            &mut wrong_kind,
            Request {
                kind: Kind::Ask,
                schema: 0,
                method: 0,
            },
        );
        wrong_kind[1] = 200;
        assert!(read_request(&wrong_kind).unwrap_err().contains("kind 200"));
        assert!(matches!(read_reply(&[]), Reply::Failed(_)));
        assert!(matches!(read_reply(&[99]), Reply::Failed(_)));
    }

    /// Random bytes, half of them with a plausible first two bytes: `n`
    /// of them.
    fn random_inputs(seed: u64, n: usize) -> impl Iterator<Item = Vec<u8>> {
        let mut rng = crate::rng::SplitMix64::new(seed);
        (0..n).map(move |_| {
            let len = (rng.next_u64() % 40) as usize;
            let mut bytes: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
            if len >= 2 && rng.next_u64().is_multiple_of(2) {
                bytes[0] = VERSION;
                bytes[1] = (rng.next_u64() % 6) as u8;
            }
            bytes
        })
    }

    #[test]
    fn any_bytes_read_as_a_request_header_or_an_error() {
        for bytes in random_inputs(0x00f0_77ed, 100_000) {
            let well_formed = bytes.len() >= REQUEST_HEADER && bytes[0] == VERSION && bytes[1] <= 3;
            match read_request(&bytes) {
                Ok((request, args)) => {
                    assert!(well_formed, "{bytes:?} read as {request:?}");
                    assert_eq!(args, &bytes[REQUEST_HEADER..]);
                    let mut written = request_buffer();
                    write_request(&mut written, request);
                    assert_eq!(written, bytes[..REQUEST_HEADER], "{request:?}");
                }
                Err(why) => assert!(!well_formed && !why.is_empty(), "{bytes:?}: {why}"),
            }
        }
    }

    #[test]
    fn any_bytes_read_as_a_reply() {
        for bytes in random_inputs(0x00e9_11e5, 100_000) {
            match (bytes.first(), read_reply(&bytes)) {
                (Some(&VALUE), Reply::Value(value)) => assert_eq!(value, &bytes[1..]),
                (Some(&ACCEPTED), Reply::Accepted) => {}
                (Some(PANICKED..=TRANSPORT | &NODE_DOWN), Reply::Failed(_)) => {}
                (_, Reply::Failed(NoReply::Unreachable(Unreachable::Transport(why)))) => {
                    assert!(why.starts_with("the node answered with"), "{bytes:?}: {why}");
                }
                (_, other) => panic!("{bytes:?} read as {other:?}"),
            }
        }
    }
}
