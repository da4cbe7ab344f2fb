//! `FileJournal` in a real OS process (the `journal-writer` binary)
//! killed with SIGKILL in the middle of its appends, again and again on
//! one directory: after each kill the journal holds every acknowledged
//! event, in order and intact, and beyond them at most the one batch that
//! was in flight, whole.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use phyx::journal::{FileJournal, Journal};
use phyx_tests::Scratch;
use phyx_tests::file_journal::{KEY, batch_len, event, splitmix, total_of};

/// A bound nothing here should come near: reaching it is a hang.
const HANG: Duration = Duration::from_secs(60);

/// Kills per durability, each on the journal the kills before left.
const ROUNDS: u64 = 4;

/// Starts the writer on `dir`, waits until it has acknowledged `acks`
/// batches, kills it with SIGKILL, and returns the last position it
/// acknowledged (lines it printed before it died included).
fn append_until_killed(dir: &Path, durability: &str, seed: u64, acks: u64) -> u64 {
    let mut child = Command::new(env!("CARGO_BIN_EXE_journal-writer"))
        .arg(dir)
        .args([durability, &seed.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .expect("the journal-writer starts");
    let stdout = child.stdout.take().expect("its standard output");
    let (lines, acknowledged) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let position: u64 = line.expect("a line").parse().expect("a position");
            if lines.send(position).is_err() {
                break;
            }
        }
    });
    let mut last = 0;
    for _ in 0..acks {
        match acknowledged.recv_timeout(HANG) {
            Ok(position) => last = position,
            Err(why) => {
                let _ = child.kill();
                panic!("the journal-writer acknowledged nothing more ({why:?}) after position {last}");
            }
        }
    }
    child.kill().expect("SIGKILL");
    let status = child.wait().expect("the writer's status");
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(9), "killed by SIGKILL, not {status}");
    }
    #[cfg(not(unix))]
    assert!(!status.success());
    last = acknowledged.iter().last().unwrap_or(last);
    reader.join().expect("the reader");
    last
}

/// Journal [`KEY`]'s events in `dir`, read by a `FileJournal` of this OS
/// process.
fn events(dir: &Path) -> Vec<Vec<u8>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let journal = FileJournal::open(dir).expect("the killed writer let go of the directory");
        let mut events = Vec::new();
        loop {
            let batch = journal
                .read(KEY, events.len() as u64 + 1, 1000)
                .await
                .expect("the journal reads");
            if batch.is_empty() {
                return events;
            }
            events.extend(batch);
        }
    })
}

fn kill_again_and_again(durability: &str, seed: u64, most_acks: u64) {
    let dir = Scratch::new(&format!("file-journal-kill-{durability}-{seed}"));
    let mut len = 0;
    for round in 0..ROUNDS {
        let acks = 1 + splitmix(seed.wrapping_add(round)) % most_acks;
        let acked = append_until_killed(&dir.0, durability, seed, acks);
        assert!(
            acked > len,
            "round {round}: the writer went on from {len}, acknowledged {acked}"
        );
        let events = events(&dir.0);
        let found = events.len() as u64;
        for (at, bytes) in events.iter().enumerate() {
            let position = at as u64 + 1;
            assert_eq!(
                bytes,
                &event(position),
                "seed {seed}, round {round}: event {position} changed"
            );
        }
        let in_flight = batch_len(seed, acked + 1);
        assert!(
            found == acked || found == acked + in_flight,
            "seed {seed}, round {round}, {durability}: {acked} events acknowledged, the journal has {found}: \
             not the acknowledged ones plus none or the whole batch of {in_flight} in flight"
        );
        len = found;
    }
}

#[test]
fn fsync_appends_survive_sigkill_whole_and_in_order() {
    for seed in [1, 2] {
        kill_again_and_again("fsync", seed, 150);
    }
}

#[test]
fn buffered_appends_survive_sigkill_whole_and_in_order() {
    for seed in [3, 4] {
        kill_again_and_again("buffered", seed, 1500);
    }
}

/// Starts the `journaled-tally` on `dir`, reads what it recovered, waits
/// for `acks` replies, kills it with SIGKILL, and returns what it
/// recovered and the last reply it printed (`(events, total)` each).
fn persist_until_killed(dir: &Path, durability: &str, acks: u64) -> ((u64, u64), (u64, u64)) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_journaled-tally"))
        .arg(dir)
        .arg(durability)
        .stdout(Stdio::piped())
        .spawn()
        .expect("the journaled-tally starts");
    let stdout = child.stdout.take().expect("its standard output");
    let (lines, replies) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("a line");
            let numbers: Vec<u64> = line
                .trim_start_matches("recovered ")
                .split(' ')
                .map(|n| n.parse().expect("a number"))
                .collect();
            if lines.send((numbers[0], numbers[1])).is_err() {
                break;
            }
        }
    });
    let recovered = replies.recv_timeout(HANG).expect("the tally recovers");
    let mut last = recovered;
    for _ in 0..acks {
        last = replies.recv_timeout(HANG).unwrap_or_else(|why| {
            let _ = child.kill();
            panic!("the tally replied nothing more ({why:?}) after {last:?}")
        });
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("the tally's status");
    last = replies.iter().last().unwrap_or(last);
    reader.join().expect("the reader");
    (recovered, last)
}

/// An event-sourced process in a real OS process, SIGKILLed amid its
/// persists again and again on one journal directory (with snapshots every
/// 25 events): each new OS process recovers every event whose reply was
/// printed, plus at most the one in flight, each applied once.
fn kill_a_persisting_process_again_and_again(durability: &str, seed: u64, most_acks: u64) {
    let dir = Scratch::new(&format!("file-journal-tally-{durability}-{seed}"));
    let mut acked = (0, 0);
    for round in 0..=ROUNDS {
        let acks = 1 + splitmix(seed.wrapping_add(round)) % most_acks;
        let (recovered, last) = persist_until_killed(&dir.0, durability, acks);
        let (events, total) = recovered;
        assert!(
            events == acked.0 || events == acked.0 + 1,
            "seed {seed}, round {round}, {durability}: {} events acknowledged, {events} recovered",
            acked.0
        );
        assert_eq!(
            total,
            total_of(events),
            "seed {seed}, round {round}: each event applied once"
        );
        assert!(last.0 > events, "round {round}: the tally went on persisting");
        acked = last;
    }
}

#[test]
fn a_persisting_process_killed_with_sigkill_recovers_every_acknowledged_event() {
    kill_a_persisting_process_again_and_again("fsync", 5, 60);
    kill_a_persisting_process_again_and_again("buffered", 6, 600);
}
