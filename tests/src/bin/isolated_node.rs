//! The child program of the isolated-process tests (a libtest `main`
//! cannot call `serve_if_child` first), and for one test a parent too.
//!
//! - As a child phyx started: serves a `Cruncher` or a `Grumpy`.
//! - `isolated-node parent <server url>`: a parent in an OS process of its
//!   own (for the test that kills it with SIGKILL): joins the cluster,
//!   starts a `Cruncher` isolated in a child (this program again), prints
//!   `child <pid>` once the child answers, and serves until killed.
//! - `isolated-node no-entry-system` / `no-entry-wait`: a program that
//!   forgets to call `serve_if_child`, and builds a `System` (which
//!   refuses) or just runs on.

use std::time::Duration;

use phyx::isolated::Isolation;
use phyx::prelude::*;
use phyx_tests::isolated::{Cruncher, CruncherRef, Grumpy};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("no-entry-system") => forgets_the_entry_and_builds_a_system(),
        Some("no-entry-wait") => std::thread::sleep(Duration::from_secs(600)),
        _ => {}
    }
    phyx::isolated::serve_if_child(|children| {
        children.add(Cruncher::default);
        children.add(Grumpy::default);
    });
    match args.as_slice() {
        [mode, url] if mode == "parent" => parent(url),
        _ => {
            eprintln!("usage: isolated-node parent <server url> (or, as phyx's child, no arguments)");
            std::process::exit(2);
        }
    }
}

fn forgets_the_entry_and_builds_a_system() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let _system = System::new();
    });
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn parent(url: &str) {
    let system = System::builder()
        .node("parent")
        .cluster(url)
        .connect()
        .await
        .unwrap_or_else(|error| panic!("the parent did not join: {error}"));
    let program = std::env::current_exe().expect("this program's path");
    let cruncher: CruncherRef = system.spawn_isolated::<Cruncher>(Isolation::new().program(program));
    let (_, pid) = cruncher.call().await.expect("the child answers");
    println!("child {pid}");
    std::future::pending::<()>().await;
}
