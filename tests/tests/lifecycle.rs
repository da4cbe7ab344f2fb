//! Hooks, children, stopping and shutdown. Time is tokio's paused clock.

use std::time::Duration;

use phyx::prelude::*;
use phyx::{CallError, SpawnOptions, Status, StopReason};
use phyx_tests::{Counter, EventLog, Gate, Journal};

/// Writes its lifecycle to a journal and can spawn children like itself.
struct Node {
    name: String,
    journal: Journal,
}

#[process]
impl Node {
    #[on_start]
    fn start(&mut self) {
        self.journal.write(format!("{} started", self.name));
    }

    #[on_stop]
    async fn stop_hook(&mut self, ctx: &mut Ctx<Self>, reason: StopReason) {
        ctx.sleep(Duration::from_millis(1)).await;
        self.journal.write(format!("{} stopped: {reason}", self.name));
    }

    #[public]
    fn child(&mut self, ctx: &mut Ctx<Self>, name: String) -> NodeRef {
        let journal = self.journal.clone();
        ctx.spawn_with(
            move || Node {
                name: name.clone(),
                journal: journal.clone(),
            },
            SpawnOptions::new().name("child"),
        )
    }

    #[public]
    fn ping(&self) {}

    #[public]
    fn crash(&mut self) {
        panic!("{} crashed", self.name);
    }

    #[public]
    fn finish(&mut self, ctx: &mut Ctx<Self>) {
        ctx.stop();
    }

    #[public]
    async fn wait(&self, gate: Gate) {
        gate.pass().await;
    }
}

fn node(system: &System, name: &str, journal: &Journal) -> NodeRef {
    let (name, journal) = (name.to_owned(), journal.clone());
    system.spawn(move || Node {
        name: name.clone(),
        journal: journal.clone(),
    })
}

#[tokio::test(start_paused = true)]
async fn stop_hooks_receive_the_reason() {
    let system = System::new();
    let journal = Journal::new();
    let normal = node(&system, "normal", &journal);
    normal.finish().await.unwrap();
    let crashing = node(&system, "crashing", &journal);
    crashing.crash().await.unwrap_err();
    crashing.ping().await.unwrap();
    let external = node(&system, "external", &journal);
    external.ping().await.unwrap();
    Handle::stop(&external).await;
    Handle::stop(&normal).await;

    let entries = journal.entries();
    for expected in [
        "normal stopped: normal stop",
        "crashing stopped: panicked: crashing crashed",
        "external stopped: shutdown",
    ] {
        assert!(
            entries.iter().any(|entry| entry == expected),
            "missing {expected:?} in {entries:?}"
        );
    }
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn children_stop_before_their_parent() {
    let system = System::new();
    let journal = Journal::new();
    let parent = node(&system, "parent", &journal);
    let first = parent.child("first".into()).await.unwrap();
    let second = parent.child("second".into()).await.unwrap();
    let grandchild = first.child("grandchild".into()).await.unwrap();

    Handle::stop(&parent).await;
    let stops: Vec<_> = journal
        .entries()
        .into_iter()
        .filter(|entry| entry.contains("stopped"))
        .collect();
    assert_eq!(
        stops,
        [
            "second stopped: shutdown",
            "grandchild stopped: shutdown",
            "first stopped: shutdown",
            "parent stopped: shutdown",
        ]
    );
    for handle in [&first, &second, &grandchild] {
        assert_eq!(handle.status(), Status::Stopped);
        assert!(matches!(handle.crash().await, Err(CallError::Stopped { .. })));
    }
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn children_of_a_crashed_instance_are_stopped_with_it() {
    let system = System::new();
    let journal = Journal::new();
    let parent = node(&system, "parent", &journal);
    let child = parent.child("child".into()).await.unwrap();
    parent.crash().await.unwrap_err();
    parent.ping().await.unwrap();
    assert_eq!(child.status(), Status::Stopped);
    let entries = journal.entries();
    let child_stop = entries
        .iter()
        .position(|e| e == "child stopped: shutdown")
        .expect("child stopped");
    let parent_stop = entries
        .iter()
        .position(|e| e.starts_with("parent stopped: panicked"))
        .expect("parent stopped");
    assert!(child_stop < parent_stop, "{entries:?}");
    assert_eq!(parent.status(), Status::Running, "the parent itself restarted");
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn shutdown_stops_later_siblings_first_and_resolves_every_caller() {
    let (system, log) = EventLog::system();
    let journal = Journal::new();
    node(&system, "first", &journal);
    let busy = node(&system, "busy", &journal);
    let gate = Gate::new();
    let blocked = tokio::spawn(busy.wait(gate.clone()).into_future());
    gate.entered().await;
    let queued: Vec<_> = (0..3).map(|_| tokio::spawn(busy.crash().into_future())).collect();
    while busy.queued() < 3 {
        tokio::task::yield_now().await;
    }

    let started = tokio::time::Instant::now();
    system.shutdown().await;
    // The blocked handler never returns: abandoned after the shutdown timeout.
    assert_eq!(
        started.elapsed(),
        phyx::SpawnOptions::DEFAULT_SHUTDOWN_TIMEOUT + Duration::from_millis(2)
    );

    assert!(matches!(blocked.await.unwrap(), Err(CallError::Stopped { .. })));
    for caller in queued {
        assert!(matches!(caller.await.unwrap(), Err(CallError::Stopped { .. })));
    }
    let stops: Vec<_> = journal
        .entries()
        .into_iter()
        .filter(|entry| entry.contains("stopped"))
        .collect();
    assert_eq!(stops, ["busy stopped: shutdown", "first stopped: shutdown"]);
    assert_eq!(
        log.stop_reasons_of("Node"),
        [StopReason::Shutdown, StopReason::Shutdown]
    );
    assert!(system.is_shut_down());
}

#[tokio::test(start_paused = true)]
async fn a_stop_hook_that_hangs_is_abandoned_after_the_shutdown_timeout() {
    struct Stubborn;
    #[process(shutdown = "2s")]
    impl Stubborn {
        #[on_stop]
        async fn never_finishes(&mut self) {
            std::future::pending::<()>().await;
        }
        #[public]
        fn ping(&self) {}
    }

    let system = System::new();
    let stubborn = system.spawn(|| Stubborn);
    stubborn.ping().await.unwrap();
    let started = tokio::time::Instant::now();
    system.shutdown().await;
    assert_eq!(started.elapsed(), Duration::from_secs(2));
    assert_eq!(stubborn.status(), Status::Stopped);
}

#[tokio::test(start_paused = true)]
async fn spawning_on_a_shut_down_system_gives_a_stopped_process() {
    let system = System::new();
    system.shutdown().await;
    let counter = system.spawn(Counter::default);
    assert!(matches!(counter.get().await, Err(CallError::Stopped { .. })));
}

#[tokio::test(start_paused = true)]
async fn shutdown_drops_pending_timers() {
    let system = System::new();
    let counter = system.spawn(Counter::default);
    counter.increment(1).send_after(Duration::from_secs(60)).unwrap();
    system.shutdown().await;
    tokio::time::sleep(Duration::from_secs(120)).await;
    assert_eq!(counter.status(), Status::Stopped);
}

#[tokio::test(start_paused = true)]
async fn status_follows_the_life_of_a_process() {
    let system = System::new();
    let counter = system.spawn(Counter::default);
    counter.get().await.unwrap();
    assert_eq!(counter.status(), Status::Running);
    counter.fail("boom".into()).await.unwrap_err();
    assert_eq!(counter.status(), Status::Restarting);
    counter.get().await.unwrap();
    assert_eq!(counter.status(), Status::Running);
    Handle::stop(&counter).await;
    assert_eq!(counter.status(), Status::Stopped);
    system.shutdown().await;
}
