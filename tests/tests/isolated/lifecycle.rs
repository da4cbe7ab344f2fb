//! A child lives as long as its instance: stops, shutdowns and its
//! parent's death end it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use phyx::prelude::*;
use phyx::{StopReason, System};
use phyx_tests::isolated::{Cruncher, CruncherRef};

use crate::fixture::{child, gone, is_gone, parent, server, within};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_the_handle_ends_its_child() {
    let Some(server) = server() else { return };
    let system = parent(&server).await;
    let cruncher: CruncherRef = system.spawn_isolated::<Cruncher>(child());
    let (_, pid) = within("a call", cruncher.call()).await.unwrap();
    within("the stop", Handle::stop(&cruncher)).await;
    assert_eq!(cruncher.stopped().await, StopReason::Shutdown);
    gone(pid).await;
    let error = cruncher.call().await.unwrap_err();
    assert!(matches!(error, CallError::Stopped { .. }), "{error:?}");
    within("the shutdown", system.shutdown()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_that_stops_itself_in_its_child_stops_for_good() {
    let Some(server) = server() else { return };
    let system = parent(&server).await;
    let cruncher: CruncherRef = system.spawn_isolated::<Cruncher>(child());
    let (_, pid) = within("a call", cruncher.call()).await.unwrap();
    within("the quit", cruncher.quit()).await.unwrap();
    let reason = within("the stop", cruncher.stopped()).await;
    assert!(!reason.is_crash(), "{reason:?}");
    gone(pid).await;
    within("the shutdown", system.shutdown()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_child_exits_when_its_parent_is_killed() {
    let Some(server) = server() else { return };
    // The parent in an OS process of its own, which this test kills.
    let mut parent = Command::new(env!("CARGO_BIN_EXE_isolated-node"))
        .args(["parent", &server.url()])
        .stdout(Stdio::piped())
        .spawn()
        .expect("the parent starts");
    let stdout = parent.stdout.take().expect("piped");
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).map(|_| line)
    });
    let line = within("the parent's child to answer", line).await.unwrap().unwrap();
    let pid: u32 = line
        .trim()
        .strip_prefix("child ")
        .and_then(|pid| pid.parse().ok())
        .unwrap_or_else(|| panic!("the parent said `{line}`"));
    assert!(!is_gone(pid), "the child runs");
    parent.kill().expect("SIGKILL"); // `Child::kill` sends SIGKILL
    parent.wait().expect("the parent is reaped");
    // Its standard input ends with its parent; it exits within its grace.
    gone(pid).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutting_the_system_down_ends_every_child() {
    let Some(server) = server() else { return };
    let system = parent(&server).await;
    let crunchers: Vec<CruncherRef> = (0..2).map(|_| system.spawn_isolated::<Cruncher>(child())).collect();
    let mut pids = Vec::new();
    for cruncher in &crunchers {
        pids.push(within("a call", cruncher.call()).await.unwrap().1);
    }
    within("the shutdown", system.shutdown()).await;
    for pid in pids {
        gone(pid).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[should_panic(expected = "an isolated process needs a system that joined a cluster")]
async fn spawning_isolated_on_a_local_system_panics_saying_what_to_do() {
    let system = System::new();
    let _cruncher: CruncherRef = system.spawn_isolated::<Cruncher>(child());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_isolated_process_registered_on_its_node_is_reached_from_another() {
    let Some(server) = server() else { return };
    let system = parent(&server).await;
    let other = within(
        "another node joining",
        System::builder().node("other").cluster(server.url()).connect(),
    )
    .await
    .unwrap();
    let cruncher: CruncherRef = system.spawn_isolated::<Cruncher>(child());
    within("the registration", system.register("cruncher", &cruncher))
        .await
        .unwrap();
    let remote: CruncherRef = within("the lookup", other.lookup("cruncher")).await.unwrap();
    let (_, pid) = within("a call from the other node", remote.call()).await.unwrap();
    assert_ne!(pid, std::process::id(), "served in the child");
    // Its crash is its own, seen from there too; the handle keeps working.
    let error = within("an abort from the other node", remote.abort())
        .await
        .unwrap_err();
    match &error {
        CallError::Panicked { message, .. } => assert!(message.contains("died: signal 6 (SIGABRT)"), "{message}"),
        other => panic!("expected Panicked, got {other:?}"),
    }
    let (calls, second) = within("a call after the abort", remote.call()).await.unwrap();
    assert_eq!(calls, 1);
    assert_ne!(second, pid);
    within("the other's shutdown", other.shutdown()).await;
    within("the shutdown", system.shutdown()).await;
}
