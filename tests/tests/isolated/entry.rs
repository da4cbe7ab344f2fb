//! A child program that forgets `serve_if_child` is found out, loudly,
//! instead of running the whole program again unseen.

use std::time::Duration;

use phyx::{Restart, SpawnOptions, StopReason};
use phyx_tests::isolated::{Cruncher, CruncherRef};

use crate::fixture::{child, gone, parent, server, within};

/// The start failure of a process whose child program runs `mode`.
async fn start_failure(mode: &str, start_timeout: Duration) -> String {
    let server = server().expect("checked by the caller");
    let system = parent(&server).await;
    let cruncher: CruncherRef = system.spawn_isolated_with::<Cruncher>(
        child().arg(mode).start_timeout(start_timeout),
        SpawnOptions::new().name("forgetful").restart(Restart::Temporary),
    );
    let reason = within("the failed start", phyx::Handle::stopped(&cruncher)).await;
    within("the shutdown", system.shutdown()).await;
    match reason {
        StopReason::StartFailed { error } => error.to_string(),
        other => panic!("expected a failed start, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_child_that_builds_a_system_without_the_entry_is_refused() {
    if server().is_none() {
        return;
    }
    let error = start_failure("no-entry-system", Duration::from_secs(30)).await;
    assert!(
        error.contains("before it called phyx's entry (call phyx::isolated::serve_if_child at the top of main)"),
        "{error}"
    );
    // The child's `System` refused, and said why on its stderr.
    assert!(error.contains("built a `System` without serving it"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_child_that_never_calls_the_entry_times_out_and_is_killed() {
    if server().is_none() {
        return;
    }
    let error = start_failure("no-entry-wait", Duration::from_secs(2)).await;
    assert!(
        error.contains("did not call phyx's entry within 2s: call phyx::isolated::serve_if_child at the top of main"),
        "{error}"
    );
    let pid: u32 = error
        .split("(pid ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .and_then(|pid| pid.parse().ok())
        .unwrap_or_else(|| panic!("no pid in `{error}`"));
    gone(pid).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_the_child_program_does_not_add_fails_its_start_naming_what_it_adds() {
    let Some(server) = server() else { return };
    let system = parent(&server).await;
    let worker: phyx_tests::remote::WorkerRef = system.spawn_isolated_with::<phyx_tests::remote::Worker>(
        child(),
        SpawnOptions::new().name("unknown").restart(Restart::Temporary),
    );
    let reason = within("the failed start", phyx::Handle::stopped(&worker)).await;
    let StopReason::StartFailed { error } = reason else {
        panic!("expected a failed start, got {reason:?}");
    };
    assert!(
        error.contains("adds no `phyx_tests::remote::Worker` (it adds: phyx_tests::isolated::Cruncher, phyx_tests::isolated::Grumpy)"),
        "{error}"
    );
    within("the shutdown", system.shutdown()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_hook_that_fails_in_the_child_fails_the_start_here() {
    let Some(server) = server() else { return };
    let system = parent(&server).await;
    let grumpy: phyx_tests::isolated::GrumpyRef = system.spawn_isolated_with::<phyx_tests::isolated::Grumpy>(
        child(),
        SpawnOptions::new().name("grumpy").restart(Restart::Temporary),
    );
    let reason = within("the failed start", phyx::Handle::stopped(&grumpy)).await;
    let StopReason::StartFailed { error } = reason else {
        panic!("expected a failed start, got {reason:?}");
    };
    assert!(error.contains("not today"), "{error}");
    within("the shutdown", system.shutdown()).await;
}

#[test]
fn a_program_that_inherited_the_mark_from_a_child_exits_saying_so() {
    // As if a child had started it: the mark names another parent.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_isolated-node"))
        .env("PHYX_ISOLATED_CHILD", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("the program runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("inherited PHYX_ISOLATED_CHILD") && stderr.contains("env_remove"),
        "{stderr}"
    );
}
