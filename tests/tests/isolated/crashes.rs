//! Each way an OS process dies is a crash of its isolated process only:
//! the caller hears what killed it, the parent and a healthy sibling do
//! not notice, and the next call reaches a fresh child with fresh state.

use std::time::Duration;

use phyx::isolated::Isolation;
use phyx::{Backoff, CallError, SpawnOptions};
use phyx_tests::Counter;
use phyx_tests::isolated::{Cruncher, CruncherRef};

use crate::fixture::{child, gone, parent, server, within};

/// Spawns `cruncher` isolated as `isolation` says, beside a healthy
/// isolated sibling and a local counter; checks that `crash` kills it with
/// an error whose message contains each of `cause`, and that everything
/// else carries on.
async fn crash_is_isolated(
    isolation: Isolation,
    crash: impl AsyncFnOnce(&CruncherRef) -> Result<u64, CallError>,
    cause: &[&str],
) {
    let Some(server) = server() else { return };
    let system = parent(&server).await;
    let options = || SpawnOptions::new().name("cruncher").backoff(Backoff::none());
    let cruncher: CruncherRef = system.spawn_isolated_with::<Cruncher>(isolation, options());
    let sibling: CruncherRef = system.spawn_isolated_with::<Cruncher>(child(), options().name("sibling"));
    let local = system.spawn(Counter::default);

    let (calls, first) = within("a first call", cruncher.call()).await.unwrap();
    assert_eq!(calls, 1);
    let (_, sibling_pid) = within("the sibling's first call", sibling.call()).await.unwrap();
    within("the counter", local.increment(1)).await.unwrap();

    let error = within("the crashing call", crash(&cruncher))
        .await
        .expect_err("the call killed its OS process");
    let CallError::Panicked { process, message, .. } = &error else {
        panic!("expected Panicked, got {error:?}");
    };
    assert_eq!(&**process, "cruncher");
    assert!(
        message.starts_with("the isolated OS process of `cruncher` died: "),
        "{message}"
    );
    for cause in cause {
        assert!(message.contains(cause), "`{message}` does not say `{cause}`");
    }
    gone(first).await;

    // A fresh child, with fresh state: the count starts again.
    let (calls, second) = within("a call after the crash", cruncher.call()).await.unwrap();
    assert_eq!(calls, 1, "the state is fresh");
    assert_ne!(second, first, "a new OS process");
    // The sibling, its child and the local process never noticed.
    assert_eq!(within("the sibling", sibling.call()).await.unwrap(), (2, sibling_pid));
    assert_eq!(within("the counter", local.increment(1)).await.unwrap(), 2);
    within("the shutdown", system.shutdown()).await;
    gone(second).await;
    gone(sibling_pid).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_segfault_is_a_crash_of_that_process_only() {
    crash_is_isolated(
        child(),
        async |cruncher| cruncher.segfault().await,
        &["signal 11 (SIGSEGV)"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abort_is_a_crash_of_that_process_only() {
    crash_is_isolated(
        child(),
        async |cruncher| cruncher.abort().await,
        &["signal 6 (SIGABRT)"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stack_overflow_is_a_crash_of_that_process_only() {
    crash_is_isolated(
        child(),
        async |cruncher| cruncher.overflow(1_000_000).await,
        &["signal 6 (SIGABRT)", "stack overflow"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allocating_past_the_memory_limit_is_a_crash_of_that_process_only() {
    // 4 GiB of untouched blocks: within reach without the limit (the test
    // then fails), past it with.
    crash_is_isolated(
        child().memory_limit(1 << 30),
        async |cruncher| cruncher.allocate(4096).await,
        &[
            "signal 6 (SIGABRT)",
            "memory allocation of",
            "(its memory limit is 1073741824 bytes)",
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spinning_past_the_cpu_limit_is_a_crash_of_that_process_only() {
    // 30 s of spinning, past a limit of 1 s of CPU time.
    crash_is_isolated(
        child().cpu_time(Duration::from_secs(1)),
        async |cruncher| cruncher.spin(30_000).await,
        &["signal 24 (SIGXCPU)", "(its CPU time limit of 1 s ran out)"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_in_the_child_is_a_panic_here_with_its_message() {
    let Some(server) = server() else { return };
    let system = parent(&server).await;
    let cruncher: CruncherRef =
        system.spawn_isolated_with::<Cruncher>(child(), SpawnOptions::new().name("cruncher").backoff(Backoff::none()));
    let mut events = system.events();
    let (_, first) = within("a first call", cruncher.call()).await.unwrap();
    let error = within("the panicking call", cruncher.fail("disk on fire".into()))
        .await
        .unwrap_err();
    match &error {
        CallError::Panicked { message, .. } => assert_eq!(&**message, "disk on fire"),
        other => panic!("expected Panicked, got {other:?}"),
    }
    let (calls, second) = within("a call after the panic", cruncher.call()).await.unwrap();
    assert_eq!(calls, 1);
    assert_ne!(second, first, "a panic there restarts it in a fresh OS process too");
    // The crash and restart are this node's, as for a local process.
    let restarted = within("the restart's event", async {
        while let Some(event) = events.recv().await {
            if let phyx::event::EventKind::Restarting { attempt, .. } = event.kind {
                return attempt;
            }
        }
        panic!("no restart")
    })
    .await;
    assert_eq!(restarted, 1);
    within("the shutdown", system.shutdown()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_queued_behind_a_crash_are_handled_by_the_next_instance() {
    let Some(server) = server() else { return };
    let system = parent(&server).await;
    let cruncher: CruncherRef =
        system.spawn_isolated_with::<Cruncher>(child(), SpawnOptions::new().name("cruncher").backoff(Backoff::none()));
    let (_, first) = within("a first call", cruncher.call()).await.unwrap();
    // In the mailbox in this order: the abort reaches the child, the
    // three calls wait behind it.
    cruncher.abort().send().unwrap();
    for _ in 0..3 {
        cruncher.call().send().unwrap();
    }
    let (calls, second) = within("a call behind them", cruncher.call()).await.unwrap();
    assert_ne!(second, first, "the abort crashed the first child");
    assert_eq!(
        calls, 4,
        "the three calls queued behind the crash were handled by the next instance"
    );
    within("the shutdown", system.shutdown()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_child_killed_while_idle_crashes_its_process_which_comes_back() {
    let Some(server) = server() else { return };
    let system = parent(&server).await;
    let cruncher: CruncherRef =
        system.spawn_isolated_with::<Cruncher>(child(), SpawnOptions::new().name("cruncher").backoff(Backoff::none()));
    let mut events = system.events();
    let (_, first) = within("a first call", cruncher.call()).await.unwrap();
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &first.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    // The crash is seen with no call in flight.
    let message = within("the crash's event", async {
        while let Some(event) = events.recv().await {
            if let phyx::event::EventKind::Panicked { method, message } = event.kind {
                assert_eq!(method, None, "no call was in flight");
                return message;
            }
        }
        panic!("no crash")
    })
    .await;
    assert!(message.contains("died: signal 9 (SIGKILL)"), "{message}");
    let (calls, second) = within("a call after the kill", cruncher.call()).await.unwrap();
    assert_eq!(calls, 1);
    assert_ne!(second, first);
    within("the shutdown", system.shutdown()).await;
}
