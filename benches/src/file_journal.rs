//! The file journal's appends, at the store level (feature `journal`):
//! `FileJournal`'s `Journal::append` from one writer, one 64-byte event
//! per append, each awaited before the next, against the raw speed of the
//! same disk: a loop of `write_all` of the same framed bytes (and
//! `sync_data` after each, for `Fsync`) on a plain file, on this thread.
//!
//! Both write in a fresh directory under `std::env::temp_dir()`: set
//! `TMPDIR` to measure another disk.

use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use phyx::journal::{Durability, FileJournal, Journal};

use crate::Latencies;

/// Bytes of each event.
pub const EVENT: usize = 64;

/// What one run of appends measured.
#[derive(Debug, Clone)]
pub struct Appends {
    /// All of them, first to last.
    pub elapsed: Duration,
    /// Each one's latency.
    pub latencies: Latencies,
}

impl Appends {
    /// Appends per second.
    pub fn per_second(&self) -> f64 {
        crate::per(self.latencies.sorted.len() as u64, 1) / self.elapsed.as_secs_f64()
    }
}

/// A fresh directory, removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    /// A fresh directory under the temporary one, named after `what`.
    pub fn new(what: &str) -> Scratch {
        static MADE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let made = MADE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("phyx-bench-{what}-{}-{made}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("a scratch directory");
        Scratch(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `n` appends of one event each through a `FileJournal` of `durability`,
/// on a current-thread runtime.
pub fn file_journal(durability: Durability, n: u64) -> Appends {
    let dir = Scratch::new("journal-file");
    let journal = FileJournal::open(&dir.0)
        .expect("the journal opens")
        .durability(durability);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let appends = runtime.block_on(async {
        let mut samples = Vec::with_capacity(usize::try_from(n).unwrap_or(0));
        let started = Instant::now();
        for position in 1..=n {
            let start = Instant::now();
            journal
                .append("bench", position, vec![vec![7; EVENT]])
                .await
                .expect("appended");
            samples.push(start.elapsed());
        }
        Appends {
            elapsed: started.elapsed(),
            latencies: Latencies::new(samples, 0),
        }
    });
    drop(journal);
    appends
}

/// `n` writes of the frame `FileJournal` writes for one event (its
/// checksum computed each time, as it does), each followed by
/// `sync_data` for [`Durability::Fsync`], on a plain file.
pub fn raw(durability: Durability, n: u64) -> Appends {
    let dir = Scratch::new("journal-raw");
    let mut file = File::create(dir.0.join("raw.log")).expect("a file");
    let mut frame = Vec::with_capacity(8 + 4 + EVENT);
    let mut samples = Vec::with_capacity(usize::try_from(n).unwrap_or(0));
    let started = Instant::now();
    for _ in 0..n {
        let start = Instant::now();
        frame.clear();
        let mut payload = Vec::with_capacity(4 + EVENT);
        payload.extend_from_slice(&(EVENT as u32).to_le_bytes());
        payload.extend_from_slice(&[7; EVENT]);
        frame.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        frame.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
        frame.extend_from_slice(&payload);
        file.write_all(&frame).expect("written");
        if durability == Durability::Fsync {
            file.sync_data().expect("synced");
        }
        samples.push(start.elapsed());
    }
    Appends {
        elapsed: started.elapsed(),
        latencies: Latencies::new(samples, 0),
    }
}
