//! Appends numbered events to a `FileJournal` until killed, for the test
//! that kills it for real: `journal-writer <dir> <fsync | buffered> <seed>`.
//!
//! Opens the journals in `dir`, goes on from the end of journal
//! [`KEY`](phyx_tests::file_journal::KEY), and appends batches of
//! [`event`](phyx_tests::file_journal::event)s, each
//! [`batch_len`](phyx_tests::file_journal::batch_len) long, one after
//! another; once a batch's append resolves, prints the position of its
//! last event on a line of its own, flushed. Ends when standard output
//! closes, or with a message on standard error when the journal fails.

use std::io::Write;

use phyx::journal::{Durability, FileJournal, Journal};
use phyx_tests::file_journal::{KEY, batch_len, event};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, durability, seed] = args.as_slice() else {
        fail("usage: journal-writer <dir> <fsync | buffered> <seed>");
    };
    let durability = match durability.as_str() {
        "fsync" => Durability::Fsync,
        "buffered" => Durability::Buffered,
        other => fail(&format!("unknown durability `{other}`: expected `fsync` or `buffered`")),
    };
    let Ok(seed) = seed.parse() else {
        fail(&format!("the seed `{seed}` is not a number"));
    };
    let journal = FileJournal::open(dir)
        .unwrap_or_else(|error| fail(&error.to_string()))
        .durability(durability);
    let mut next = 1;
    loop {
        let read = journal.read(KEY, next, 4096).await;
        match read.unwrap_or_else(|error| fail(&error.to_string())).len() {
            0 => break,
            read => next += read as u64,
        }
    }
    let mut out = std::io::stdout().lock();
    loop {
        let batch: Vec<Vec<u8>> = (next..next + batch_len(seed, next)).map(event).collect();
        let len = batch.len() as u64;
        if let Err(error) = journal.append(KEY, next, batch).await {
            fail(&error.to_string());
        }
        next += len;
        if writeln!(out, "{}", next - 1).and_then(|()| out.flush()).is_err() {
            return;
        }
    }
}

fn fail(message: &str) -> ! {
    eprintln!("journal-writer: {message}");
    std::process::exit(2)
}
