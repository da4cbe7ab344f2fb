//! Runs the order of [`phyx_tests::saga_node`] as a journaled saga on a
//! `FileJournal`, for the test that kills it for real:
//! `saga-node <dir> <slow-ms>`.
//!
//! Prints `resume <what the journal held>`, then `sent <key>` as each
//! ledger handles a step, `step <n> done` as each step returns, and
//! `committed`; each line flushed. The last ledger's steps take `slow-ms`
//! to reply, for the kill to land while one is in flight. Exits with a
//! message on standard error when the saga fails.

use std::time::Duration;

use phyx::SpawnOptions;
use phyx::journal::FileJournal;
use phyx::prelude::*;
use phyx_tests::saga_node::{LEDGERS, Ledger, SAGA};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, slow] = args.as_slice() else {
        fail("usage: saga-node <dir> <slow-ms>");
    };
    let Ok(slow) = slow.parse().map(Duration::from_millis) else {
        fail(&format!("`{slow}` is not a number of milliseconds"));
    };
    let journal = FileJournal::open(dir).unwrap_or_else(|error| fail(&error.to_string()));
    let system = System::builder().journal(journal).build();
    let ledgers = LEDGERS.map(|name| {
        let slow = if name == LEDGERS[2] { slow } else { Duration::ZERO };
        system.spawn_with(move || Ledger::new(slow), SpawnOptions::new().name(name))
    });
    let mut saga = system
        .journaled_saga(SAGA)
        .await
        .unwrap_or_else(|error| fail(&error.to_string()));
    println!("resume {:?}", saga.resume());
    for (step, ledger) in (1..).zip(&ledgers) {
        if let Err(error) = saga.step(|key| ledger.reserve(key)).await {
            fail(&error.to_string());
        }
        println!("step {step} done");
    }
    saga.commit().await.unwrap_or_else(|error| fail(&error.to_string()));
    println!("committed");
    system.shutdown().await;
}

fn fail(message: &str) -> ! {
    eprintln!("saga-node: {message}");
    std::process::exit(2)
}
