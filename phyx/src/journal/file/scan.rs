//! Reading a journal's file through when it is first used: what is valid,
//! what a crash tore (cut off), what is damaged (left, and reported).

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use crate::journal::file::frame::{self, HEADER, Header};
use crate::journal::file::log::{Damage, Mark, READ_BUFFER, push_mark};

/// What a scan found in a file.
pub(super) struct Scan {
    pub(super) len: u64,
    pub(super) end: u64,
    pub(super) index: Vec<Mark>,
    pub(super) damage: Option<Damage>,
}

/// Indexes the valid records of journal `key`'s `file`, and cuts off a
/// torn end: a short header, a record running past the end of the file,
/// or a last record that does not check (or after which only zeros
/// follow, as a file system may leave after a power loss). A record that
/// does not check with other data after it is damage, left as it is.
pub(super) fn scan(key: &str, path: &Path, file: &File) -> io::Result<Scan> {
    let size = file.metadata()?.len();
    let mut reader = BufReader::with_capacity(READ_BUFFER, file);
    let mut payload = Vec::new();
    let (mut len, mut offset) = (0, 0);
    let mut index = Vec::new();
    let mut damage = None;
    let torn = loop {
        let rest = size - offset;
        if rest == 0 {
            break None;
        }
        if rest < HEADER as u64 {
            break Some(format!("a header cut short, {rest} of its {HEADER} bytes"));
        }
        let mut bytes = [0; HEADER];
        reader.read_exact(&mut bytes)?;
        let header = Header::parse(bytes);
        if header.frame_len() > rest {
            break Some(format!(
                "a record of {} bytes with only {rest} left in the file",
                header.frame_len()
            ));
        }
        payload.resize(header.len as usize, 0);
        reader.read_exact(&mut payload)?;
        let events = if header.checks(&payload) {
            frame::events(&payload).map(|events| events.len() as u64)
        } else {
            Err("its checksum does not match".to_owned())
        };
        match events {
            Ok(count) => {
                push_mark(&mut index, Mark { first: len + 1, offset });
                len += count;
                offset += header.frame_len();
            }
            Err(problem) => {
                let after = rest - header.frame_len();
                if after == 0 || only_zeros(&mut reader)? {
                    break Some(format!("the last record: {problem}"));
                }
                damage = Some(Damage {
                    position: len + 1,
                    detail: format!(
                        "the record at byte {offset} of `{}`: {problem}, with {after} bytes after it",
                        path.display()
                    ),
                });
                break None;
            }
        }
    };
    if let Some(reason) = torn {
        tracing::warn!(
            target: "phyx", journal = key, path = %path.display(),
            "cut off the torn end of the journal's file ({reason}; {} bytes from byte {offset}): an append \
             that a crash interrupted. The journal keeps its {len} events before it",
            size - offset
        );
        file.set_len(offset)?;
    }
    Ok(Scan {
        len,
        end: offset,
        index,
        damage,
    })
}

/// Whether everything `reader` has left is zero bytes.
fn only_zeros(reader: &mut impl Read) -> io::Result<bool> {
    let mut chunk = [0; 4096];
    loop {
        match reader.read(&mut chunk)? {
            0 => return Ok(true),
            read if chunk[..read].iter().any(|&byte| byte != 0) => return Ok(false),
            _ => {}
        }
    }
}
