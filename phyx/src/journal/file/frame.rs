//! The bytes on disk: a frame is `[u32 length][u32 crc32][payload]`,
//! little-endian, the checksum over the payload alone.
//!
//! A journal's file is its records one after another, one per `append`:
//! the payload is each event as `[u32 length][bytes]`, at least one
//! (`append(["ab", "c"])` → `05000000 crc 02000000 "ab" 01000000 "c"`, with
//! the length 11). A snapshot's file is one frame whose payload is
//! `[u64 position][bytes]`.

/// Bytes of a frame's header: length and checksum.
pub(super) const HEADER: usize = 8;

/// A frame's header, as read.
#[derive(Debug, Clone, Copy)]
pub(super) struct Header {
    /// Bytes of payload after the header.
    pub(super) len: u32,
    /// The payload's crc32.
    pub(super) crc: u32,
}

impl Header {
    pub(super) fn parse(bytes: [u8; HEADER]) -> Self {
        let [a, b, c, d, e, f, g, h] = bytes;
        Self {
            len: u32::from_le_bytes([a, b, c, d]),
            crc: u32::from_le_bytes([e, f, g, h]),
        }
    }

    /// Whether `payload` is the one this header announced.
    pub(super) fn checks(self, payload: &[u8]) -> bool {
        payload.len() == self.len as usize && crc32fast::hash(payload) == self.crc
    }

    /// Bytes of the whole frame.
    pub(super) fn frame_len(self) -> u64 {
        HEADER as u64 + u64::from(self.len)
    }
}

/// Appends one record holding `events` to `out`; `Err` names what does
/// not fit in a record (4 GiB), and leaves `out` as it was.
pub(super) fn push_record(out: &mut Vec<u8>, events: &[Vec<u8>]) -> Result<(), String> {
    let start = begin(out);
    for event in events {
        let Ok(len) = u32::try_from(event.len()) else {
            out.truncate(start);
            return Err(format!(
                "an event of {} bytes does not fit in a record (at most 4 GiB)",
                event.len()
            ));
        };
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(event);
    }
    seal(out, start)
}

/// Appends the frame of a snapshot to `out`.
pub(super) fn push_snapshot(out: &mut Vec<u8>, position: u64, bytes: &[u8]) -> Result<(), String> {
    let start = begin(out);
    out.extend_from_slice(&position.to_le_bytes());
    out.extend_from_slice(bytes);
    seal(out, start)
}

/// Reserves a header at the end of `out`, to [`seal`] once the payload
/// follows it; returns where the frame starts.
fn begin(out: &mut Vec<u8>) -> usize {
    let start = out.len();
    out.extend_from_slice(&[0; HEADER]);
    start
}

/// Fills in the header of the frame at `start`, the payload being
/// everything after it.
fn seal(out: &mut Vec<u8>, start: usize) -> Result<(), String> {
    let payload = &out[start + HEADER..];
    let Ok(len) = u32::try_from(payload.len()) else {
        let len = payload.len();
        out.truncate(start);
        return Err(format!("{len} bytes do not fit in one record (at most 4 GiB)"));
    };
    let crc = crc32fast::hash(payload);
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    out[start + 4..start + HEADER].copy_from_slice(&crc.to_le_bytes());
    Ok(())
}

/// The events of a record's payload (checksum already verified), or what
/// is wrong with it.
pub(super) fn events(payload: &[u8]) -> Result<Vec<&[u8]>, String> {
    let mut events = Vec::new();
    let mut rest = payload;
    while !rest.is_empty() {
        let Some((len, after)) = rest.split_first_chunk::<4>() else {
            return Err(format!("{} stray bytes after the last event", rest.len()));
        };
        let len = u32::from_le_bytes(*len) as usize;
        if len > after.len() {
            return Err(format!(
                "an event of {len} bytes with {} left in the record",
                after.len()
            ));
        }
        let (event, after) = after.split_at(len);
        events.push(event);
        rest = after;
    }
    if events.is_empty() {
        return Err("a record without events".to_owned());
    }
    Ok(events)
}

/// The position and bytes of a snapshot's payload (checksum already
/// verified).
pub(super) fn snapshot(payload: &[u8]) -> Option<(u64, &[u8])> {
    let (position, bytes) = payload.split_first_chunk::<8>()?;
    Some((u64::from_le_bytes(*position), bytes))
}

#[cfg(test)]
mod tests {
    use super::{HEADER, Header, events, push_record, push_snapshot, snapshot};

    fn header(frame: &[u8]) -> Header {
        Header::parse(frame[..HEADER].try_into().unwrap())
    }

    #[test]
    fn a_record_round_trips_with_its_events_in_order() {
        let batch = vec![b"ab".to_vec(), Vec::new(), vec![0; 300]];
        let mut frame = b"before".to_vec();
        push_record(&mut frame, &batch).unwrap();
        let frame = &frame[6..];
        let header = header(frame);
        assert_eq!(header.frame_len(), frame.len() as u64);
        assert_eq!(header.len as usize, 3 * 4 + 2 + 300);
        let payload = &frame[HEADER..];
        assert!(header.checks(payload));
        assert_eq!(events(payload).unwrap(), [&b"ab"[..], &[][..], &[0; 300][..]]);
    }

    #[test]
    fn the_documented_layout() {
        let mut frame = Vec::new();
        push_record(&mut frame, &[b"ab".to_vec(), b"c".to_vec()]).unwrap();
        let payload = [2, 0, 0, 0, b'a', b'b', 1, 0, 0, 0, b'c'];
        assert_eq!(frame[..4], [11, 0, 0, 0]);
        assert_eq!(frame[4..8], crc32fast::hash(&payload).to_le_bytes());
        assert_eq!(frame[8..], payload);
    }

    #[test]
    fn any_flipped_bit_fails_the_checksum() {
        let mut frame = Vec::new();
        push_record(&mut frame, &[b"hello".to_vec()]).unwrap();
        for bit in HEADER * 8..frame.len() * 8 {
            let mut flipped = frame.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            assert!(!header(&flipped).checks(&flipped[HEADER..]), "bit {bit}");
        }
    }

    #[test]
    fn malformed_payloads_say_what_is_wrong() {
        assert!(events(&[]).unwrap_err().contains("without events"));
        assert!(events(&[1, 0]).unwrap_err().contains("stray"));
        assert!(events(&[9, 0, 0, 0, 1]).unwrap_err().contains("9 bytes"));
    }

    #[test]
    fn a_snapshot_round_trips() {
        let mut frame = Vec::new();
        push_snapshot(&mut frame, 42, b"state").unwrap();
        assert!(header(&frame).checks(&frame[HEADER..]));
        assert_eq!(snapshot(&frame[HEADER..]), Some((42, &b"state"[..])));
        assert_eq!(snapshot(&[1, 2, 3]), None);
    }
}
