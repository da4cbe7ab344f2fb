//! An event-sourced process persisting until killed, for the test that
//! kills its OS process for real: `journaled-tally <dir> <fsync | buffered>`.
//!
//! Starts [`Tally`](phyx_tests::file_journal::Tally) on a `FileJournal` in
//! `dir`, prints what it recovered (`recovered <events> <total>`), then
//! persists event after event, printing each reply (`<events> <total>`),
//! flushed, until standard output closes or it is killed.

use std::io::Write;

use phyx::System;
use phyx::journal::{Durability, FileJournal};
use phyx_tests::file_journal::{Tally, TallyRef};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, durability] = args.as_slice() else {
        fail("usage: journaled-tally <dir> <fsync | buffered>");
    };
    let durability = match durability.as_str() {
        "fsync" => Durability::Fsync,
        "buffered" => Durability::Buffered,
        other => fail(&format!("unknown durability `{other}`: expected `fsync` or `buffered`")),
    };
    let journal = FileJournal::open(dir)
        .unwrap_or_else(|error| fail(&error.to_string()))
        .durability(durability);
    let system = System::builder().journal(journal).build();
    let tally: TallyRef = system.spawn_with(Tally::default, phyx::SpawnOptions::new().name("tally"));
    let (events, total) = tally.get().await.unwrap_or_else(|error| fail(&error.to_string()));
    let mut out = std::io::stdout().lock();
    if writeln!(out, "recovered {events} {total}")
        .and_then(|()| out.flush())
        .is_err()
    {
        return;
    }
    loop {
        let reply = tally.add_next().await.unwrap_or_else(|error| fail(&error.to_string()));
        let (events, total) = reply.unwrap_or_else(|error| fail(&error.to_string()));
        if writeln!(out, "{events} {total}").and_then(|()| out.flush()).is_err() {
            return;
        }
    }
}

fn fail(message: &str) -> ! {
    eprintln!("journaled-tally: {message}");
    std::process::exit(2)
}
