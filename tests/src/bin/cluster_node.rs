//! A cluster node in its own OS process, for the tests that kill one for
//! real: `cluster-node <server url> <node name> <registered name> [pool]`.
//!
//! Joins the cluster, registers a `Worker` (in a pool across nodes with
//! `pool`), prints `ready` and serves until its standard input closes or
//! says `exit`, then shuts down cleanly. A test that kills it instead
//! sends SIGKILL.

use std::time::Duration;

use phyx::System;
use phyx_tests::remote::Worker;
use tokio::io::{AsyncBufReadExt, BufReader};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, node, name, rest @ ..] = args.as_slice() else {
        eprintln!("usage: cluster-node <server url> <node name> <registered name> [pool]");
        std::process::exit(2);
    };
    let detection = std::env::var("PHYX_DETECTION_MS")
        .ok()
        .and_then(|millis| millis.parse().ok())
        .map_or(Duration::from_millis(900), Duration::from_millis);
    let system = System::builder()
        .node(node)
        .cluster(url)
        .detection(detection)
        .connect()
        .await
        .unwrap_or_else(|error| panic!("node `{node}` did not join: {error}"));
    let on = node.clone();
    let worker = system.spawn(move || Worker::on(&on));
    let registered = if rest.first().is_some_and(|arg| arg == "pool") {
        system.register_pool(name, &worker).await
    } else {
        system.register(name, &worker).await
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
