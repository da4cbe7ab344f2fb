//! A cluster node in its own OS process, for the tests that kill one for
//! real: `cluster-node <server url> <node name> <registered name> [pool |
//! journal <path> | tally]`.
//!
//! Joins the cluster, registers a `Worker` (in a pool across nodes with
//! `pool`; a durable `Journal` writing to `path` with `journal`, and its
//! redeliveries as `redelivered <id>` lines to `path.events`; an
//! event-sourced `Tally` named after the registered name, its journal in
//! the cluster's JetStream, with `tally`), prints
//! `ready` and serves until its standard input closes or says `exit`, then
//! shuts down cleanly. A test that kills it instead sends SIGKILL.

use std::time::Duration;

use std::io::Write;

use phyx::event::EventKind;
use phyx::{SpawnOptions, System};
use phyx_tests::remote::{Journal, Tally, Worker};
use tokio::io::{AsyncBufReadExt, BufReader};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, node, name, rest @ ..] = args.as_slice() else {
        eprintln!("usage: cluster-node <server url> <node name> <registered name> [pool | journal <path> | tally]");
        std::process::exit(2);
    };
    let detection = std::env::var("PHYX_DETECTION_MS")
        .ok()
        .and_then(|millis| millis.parse().ok())
        .map_or(Duration::from_millis(900), Duration::from_millis);
    let mut builder = System::builder().node(node).cluster(url).detection(detection);
    let journal = match rest {
        [mode, path] if mode == "journal" => Some(std::path::PathBuf::from(path)),
        _ => None,
    };
    if let Some(path) = &journal {
        let events = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path.with_extension("events"))
            .expect("the events file opens");
        let events = std::sync::Mutex::new(events);
        builder = builder.on_event(move |event| {
            if let (EventKind::Redelivered { id, .. }, Ok(mut events)) = (&event.kind, events.lock()) {
                let _ = writeln!(events, "redelivered {id}");
            }
        });
    }
    let system = builder
        .connect()
        .await
        .unwrap_or_else(|error| panic!("node `{node}` did not join: {error}"));
    let registered = if let Some(path) = journal {
        let journal = system.spawn(move || Journal::at(&path));
        system.register(name, &journal).await
    } else if rest.first().is_some_and(|arg| arg == "tally") {
        let tally = system.spawn_with(Tally::default, SpawnOptions::new().name(name));
        system.register(name, &tally).await
    } else if rest.first().is_some_and(|arg| arg == "pool") {
        let on = node.clone();
        system.register_pool(name, &system.spawn(move || Worker::on(&on))).await
    } else {
        let on = node.clone();
        system.register(name, &system.spawn(move || Worker::on(&on))).await
    };
    registered.unwrap_or_else(|error| panic!("node `{node}` could not register `{name}`: {error}"));
    println!("ready");
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if line.trim() == "exit" {
            break;
        }
    }
    system.shutdown().await;
}
