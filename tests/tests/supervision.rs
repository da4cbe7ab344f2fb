//! Supervisors: strategies, restart types, intensity and escalation,
//! backoff, and handles that outlive every restart. On virtual time.

use std::time::Duration;

use phyx::prelude::*;
use phyx::{CallError, Status, StopReason, event::EventKind};
use phyx_testkit::TestSystem;
use phyx_tests::Journal;

const SECOND: Duration = Duration::from_secs(1);

/// A child that counts, crashes on demand, and writes its life to a journal.
struct Member {
    name: &'static str,
    journal: Journal,
    count: u32,
}

impl Member {
    fn new(name: &'static str, journal: &Journal) -> Self {
        Self {
            name,
            journal: journal.clone(),
            count: 0,
        }
    }
}

#[process]
impl Member {
    #[on_start]
    fn started(&mut self) {
        self.journal.write(format!("{} started", self.name));
    }

    #[on_stop]
    fn stopped(&mut self, reason: StopReason) {
        self.journal.write(format!("{} stopped: {reason}", self.name));
    }

    #[public]
    fn bump(&mut self) -> u32 {
        self.count += 1;
        self.count
    }

    #[public]
    fn crash(&mut self) {
        panic!("{} crashed", self.name);
    }

    #[public]
    fn finish(&mut self, ctx: &mut Ctx<Self>) {
        ctx.stop();
    }
}

macro_rules! trio {
    ($name:ident, $($options:tt)*) => {
        #[derive(Clone)]
        struct $name {
            journal: Journal,
        }

        #[supervisor($($options)*)]
        impl $name {
            #[child(backoff(initial = "1s"))]
            fn a(&self) -> Member {
                Member::new("a", &self.journal)
            }

            #[child(backoff(initial = "1s"))]
            fn b(&self) -> Member {
                Member::new("b", &self.journal)
            }

            #[child(backoff(initial = "1s"))]
            fn c(&self) -> Member {
                Member::new("c", &self.journal)
            }
        }
    };
}

trio!(OneForOne, strategy = one_for_one, max_restarts = 10, within = "1m");
trio!(OneForAll, strategy = one_for_all, max_restarts = 10, within = "1m");
trio!(RestForOne, strategy = rest_for_one, max_restarts = 10, within = "1m");

/// Bumps every child once, crashes `b`, waits out the backoff, and returns
/// the journal from the crash on and each child's count after one more bump.
async fn crash_b(t: &TestSystem, journal: &Journal, children: [MemberRef; 3]) -> (Vec<String>, [u32; 3]) {
    for child in &children {
        child.bump().await.unwrap();
    }
    let before = journal.entries().len();
    assert!(matches!(children[1].crash().await, Err(CallError::Panicked { .. })));
    t.advance(SECOND).await;
    let mut counts = [0; 3];
    for (count, child) in counts.iter_mut().zip(&children) {
        *count = child.bump().await.unwrap();
    }
    (journal.entries()[before..].to_vec(), counts)
}

#[tokio::test]
async fn one_for_one_restarts_only_the_failed_child() {
    let t = TestSystem::new();
    let journal = Journal::new();
    let sup = t.system().spawn({
        let journal = journal.clone();
        move || OneForOne {
            journal: journal.clone(),
        }
    });
    let (log, counts) = crash_b(&t, &journal, [sup.a(), sup.b(), sup.c()]).await;
    assert_eq!(log, ["b stopped: panicked: b crashed", "b started"]);
    assert_eq!(counts, [2, 1, 2], "only b starts from fresh state");
}

#[tokio::test]
async fn one_for_all_stops_all_in_reverse_and_starts_all_in_order() {
    let t = TestSystem::new();
    let journal = Journal::new();
    let sup = t.system().spawn({
        let journal = journal.clone();
        move || OneForAll {
            journal: journal.clone(),
        }
    });
    let (log, counts) = crash_b(&t, &journal, [sup.a(), sup.b(), sup.c()]).await;
    assert_eq!(
        log,
        [
            "b stopped: panicked: b crashed",
            "c stopped: shutdown",
            "a stopped: shutdown",
            "a started",
            "b started",
            "c started",
        ]
    );
    assert_eq!(counts, [1, 1, 1], "every child starts from fresh state");
    assert_eq!(t.events().restarts_of("b").len(), 1);
}

#[tokio::test]
async fn rest_for_one_restarts_the_failed_child_and_those_after_it() {
    let t = TestSystem::new();
    let journal = Journal::new();
    let sup = t.system().spawn({
        let journal = journal.clone();
        move || RestForOne {
            journal: journal.clone(),
        }
    });
    let (log, counts) = crash_b(&t, &journal, [sup.a(), sup.b(), sup.c()]).await;
    assert_eq!(
        log,
        [
            "b stopped: panicked: b crashed",
            "c stopped: shutdown",
            "b started",
            "c started"
        ]
    );
    assert_eq!(counts, [2, 1, 1]);
}

#[tokio::test]
async fn a_child_in_backoff_queues_messages_and_handles_them_when_back() {
    let t = TestSystem::new();
    let journal = Journal::new();
    let sup = t.system().spawn({
        let journal = journal.clone();
        move || OneForOne {
            journal: journal.clone(),
        }
    });
    let b = sup.b();
    b.crash().await.unwrap_err();
    b.bump().send().unwrap();
    t.advance(SECOND - Duration::from_millis(1)).await;
    assert_eq!((b.status(), b.queued()), (Status::Restarting, 1));
    t.advance(Duration::from_millis(1)).await;
    assert_eq!(b.queued(), 0);
    assert_eq!(b.bump().await, Ok(2), "the queued bump ran on the new instance");
}

#[derive(Clone)]
struct Mixed {
    journal: Journal,
}

#[supervisor(strategy = one_for_all, max_restarts = 10, within = "1m")]
impl Mixed {
    #[child(restart = transient)]
    fn transient(&self) -> Member {
        Member::new("transient", &self.journal)
    }

    #[child(restart = temporary)]
    fn temporary(&self) -> Member {
        Member::new("temporary", &self.journal)
    }

    #[child]
    fn permanent(&self) -> Member {
        Member::new("permanent", &self.journal)
    }
}

#[tokio::test]
async fn restart_types_decide_who_comes_back() {
    let t = TestSystem::new();
    let sup = t.system().spawn(|| Mixed {
        journal: Journal::new(),
    });
    let (transient, temporary, permanent) = (sup.transient(), sup.temporary(), sup.permanent());

    transient.finish().await.unwrap();
    t.settle().await;
    assert_eq!(
        transient.status(),
        Status::Stopped,
        "a normal stop of a transient child is final"
    );

    permanent.finish().await.unwrap();
    t.advance(SECOND).await;
    assert_eq!(
        permanent.bump().await,
        Ok(1),
        "a permanent child comes back even after a normal stop"
    );
    assert!(
        matches!(temporary.bump().await, Err(CallError::Stopped { .. })),
        "a temporary child that a sibling took down is removed"
    );
    let removed = t
        .events()
        .of("Mixed")
        .count(|kind| matches!(kind, EventKind::ChildRemoved { .. }));
    assert_eq!(removed, 1);
}

#[derive(Clone)]
struct Fragile {
    journal: Journal,
}

#[supervisor(max_restarts = 2, within = "10s")]
impl Fragile {
    #[child(backoff(initial = "100ms"))]
    fn worker(&self) -> Member {
        Member::new("worker", &self.journal)
    }

    #[child]
    fn bystander(&self) -> Member {
        Member::new("bystander", &self.journal)
    }
}

#[tokio::test]
async fn past_its_intensity_a_root_supervisor_stops_its_subtree() {
    let t = TestSystem::new();
    let journal = Journal::new();
    let sup = t.system().spawn({
        let journal = journal.clone();
        move || Fragile {
            journal: journal.clone(),
        }
    });
    let (worker, bystander) = (sup.worker(), sup.bystander());
    for _ in 0..3 {
        worker.crash().await.unwrap_err();
        t.advance(SECOND).await;
    }
    assert_eq!(sup.status(), Status::Stopped);
    assert_eq!(
        (worker.status(), bystander.status()),
        (Status::Stopped, Status::Stopped)
    );
    assert!(matches!(bystander.bump().await, Err(CallError::Stopped { .. })));
    let events = t.events().of("Fragile");
    assert_eq!(
        events.count(|kind| matches!(kind, EventKind::RestartLimitReached { max_restarts: 2, .. })),
        1
    );
    assert_eq!(events.count(|kind| matches!(kind, EventKind::Escalated { .. })), 1);
    assert!(journal.entries().contains(&"bystander stopped: shutdown".to_owned()));
}

#[derive(Clone)]
struct Inner {
    journal: Journal,
}

#[supervisor(max_restarts = 1, within = "1m")]
impl Inner {
    #[child(backoff(initial = "1s"))]
    fn worker(&self) -> Member {
        Member::new("worker", &self.journal)
    }
}

#[derive(Clone)]
struct Outer {
    journal: Journal,
}

#[supervisor(max_restarts = 1, within = "1m")]
impl Outer {
    #[child(backoff(initial = "1s"))]
    fn inner(&self) -> Inner {
        Inner {
            journal: self.journal.clone(),
        }
    }

    #[child]
    fn sibling(&self) -> Member {
        Member::new("sibling", &self.journal)
    }
}

#[tokio::test]
async fn escalation_climbs_two_levels() {
    let t = TestSystem::new();
    let journal = Journal::new();
    let outer = t.system().spawn({
        let journal = journal.clone();
        move || Outer {
            journal: journal.clone(),
        }
    });
    let inner = outer.inner();
    let worker = inner.worker();

    // Two crashes exceed the inner supervisor's intensity; the outer one
    // restarts it, and with it the worker, behind the same handles.
    worker.crash().await.unwrap_err();
    t.advance(SECOND).await;
    worker.crash().await.unwrap_err();
    t.advance(2 * SECOND).await;
    assert_eq!(inner.status(), Status::Running);
    assert_eq!(worker.bump().await, Ok(1));
    assert_eq!(
        t.events()
            .of("inner")
            .count(|kind| matches!(kind, EventKind::Escalated { .. })),
        1
    );

    // Twice more, and the outer supervisor gives up too: the tree stops.
    worker.crash().await.unwrap_err();
    t.advance(SECOND).await;
    worker.crash().await.unwrap_err();
    t.advance(2 * SECOND).await;
    assert_eq!(outer.status(), Status::Stopped);
    for status in [inner.status(), worker.status(), outer.sibling().status()] {
        assert_eq!(status, Status::Stopped);
    }
    assert_eq!(
        t.events()
            .of("Outer")
            .count(|kind| matches!(kind, EventKind::Escalated { .. })),
        1
    );
}

#[derive(Clone)]
struct Backoffs;

#[supervisor(max_restarts = 100, within = "1h")]
impl Backoffs {
    #[child(backoff(initial = "1s", max = "4s"), within = "30s")]
    fn exact(&self) -> Member {
        Member::new("exact", &Journal::new())
    }

    #[child(backoff(initial = "1s", jitter = 0.5), within = "1s")]
    fn jittered(&self) -> Member {
        Member::new("jittered", &Journal::new())
    }
}

#[tokio::test]
async fn backoff_grows_exactly_resets_after_quiet_and_jitters_within_bounds() {
    let t = TestSystem::new();
    let sup = t.system().spawn(|| Backoffs);
    let exact = sup.exact();
    for _ in 0..4 {
        exact.crash().await.unwrap_err();
        t.advance(10 * SECOND).await;
    }
    // Quiet for longer than the child's 30 s window: back to the start.
    t.advance(60 * SECOND).await;
    exact.crash().await.unwrap_err();
    t.advance(10 * SECOND).await;
    let delays: Vec<Duration> = t
        .events()
        .restarts_of("exact")
        .iter()
        .map(|restart| restart.delay)
        .collect();
    assert_eq!(delays, [SECOND, 2 * SECOND, 4 * SECOND, 4 * SECOND, SECOND]);

    let jittered = sup.jittered();
    for _ in 0..20 {
        jittered.crash().await.unwrap_err();
        t.advance(10 * SECOND).await;
    }
    let restarts = t.events().restarts_of("jittered");
    assert_eq!(restarts.len(), 20);
    assert!(
        restarts
            .iter()
            .all(|restart| (SECOND / 2..=3 * SECOND / 2).contains(&restart.delay))
    );
    assert!(
        restarts.windows(2).any(|pair| pair[0].delay != pair[1].delay),
        "jitter varies the delays"
    );
}

#[tokio::test]
async fn shutdown_stops_the_tree_children_first() {
    let t = TestSystem::new();
    let journal = Journal::new();
    let _sup = t.system().spawn({
        let journal = journal.clone();
        move || OneForOne {
            journal: journal.clone(),
        }
    });
    t.settle().await;
    t.shutdown().await;
    let stops: Vec<String> = journal
        .entries()
        .into_iter()
        .filter(|e| e.contains("stopped"))
        .collect();
    assert_eq!(
        stops,
        ["c stopped: shutdown", "b stopped: shutdown", "a stopped: shutdown"]
    );
}

#[derive(Clone)]
struct Strict {
    journal: Journal,
}

#[supervisor(strategy = one_for_all, max_restarts = 1, within = "1m")]
impl Strict {
    #[child]
    fn first(&self) -> Member {
        Member::new("first", &self.journal)
    }

    #[child(restart = temporary)]
    fn loner(&self) -> Member {
        Member::new("loner", &self.journal)
    }

    #[child]
    fn last(&self) -> Member {
        Member::new("last", &self.journal)
    }
}

#[tokio::test]
async fn a_one_for_all_restart_counts_once_and_a_crashed_temporary_child_is_removed() {
    let t = TestSystem::new();
    let sup = t.system().spawn(|| Strict {
        journal: Journal::new(),
    });
    sup.loner().crash().await.unwrap_err();
    t.settle().await;
    assert_eq!(
        sup.loner().status(),
        Status::Stopped,
        "a temporary child is not restarted"
    );
    assert_eq!(sup.first().bump().await, Ok(1), "and its crash restarted no one");

    sup.last().crash().await.unwrap_err();
    t.advance(SECOND).await;
    assert_eq!(
        sup.status(),
        Status::Running,
        "three children restarted, one restart counted"
    );
    assert_eq!(sup.first().bump().await, Ok(1));
    let events = t.events().of("Strict");
    assert_eq!(events.count(|kind| matches!(kind, EventKind::ChildRemoved { .. })), 1);
    events.assert_none("escalation", |kind| matches!(kind, EventKind::Escalated { .. }));
}

/// Never finishes a `hang`.
struct Stuck;

#[process]
impl Stuck {
    #[public]
    async fn hang(&self) {
        std::future::pending::<()>().await;
    }
}

#[derive(Clone)]
struct Patient;

#[supervisor]
impl Patient {
    #[child(shutdown = "2s")]
    fn stuck(&self) -> Stuck {
        Stuck
    }
}

#[tokio::test]
async fn a_childs_shutdown_timeout_bounds_how_long_its_supervisor_waits() {
    let t = TestSystem::new();
    let sup = t.system().spawn(|| Patient);
    let hanging = tokio::spawn(sup.stuck().hang().into_future());
    t.settle().await;
    t.shutdown().await;
    assert_eq!(t.elapsed(), 2 * SECOND);
    assert!(matches!(hanging.await.unwrap(), Err(CallError::Stopped { .. })));
    assert_eq!(sup.status(), Status::Stopped);
}

/// Spawns workers on request, as a dynamic parent.
struct Foreman;

#[process]
impl Foreman {
    #[public]
    fn hire(&self, ctx: &mut Ctx<Self>) -> MemberRef {
        let options = phyx::SpawnOptions::new()
            .name("hired")
            .backoff(phyx::Backoff::exponential(3 * SECOND, 3 * SECOND));
        ctx.spawn_with(|| Member::new("hired", &Journal::new()), options)
    }
}

#[tokio::test]
async fn dynamic_children_restart_with_the_options_they_were_spawned_with() {
    let t = TestSystem::new();
    let foreman = t.system().spawn(|| Foreman);
    let hired = foreman.hire().await.unwrap();
    hired.bump().await.unwrap();
    hired.crash().await.unwrap_err();
    assert_eq!(t.events().restarts_of("hired")[0].delay, 3 * SECOND);
    t.advance(3 * SECOND).await;
    assert_eq!(hired.bump().await, Ok(1));
    Handle::stop(&foreman).await;
    assert_eq!(hired.status(), Status::Stopped, "a dynamic child stops with its parent");
}

/// A supervisor that is neither `Clone` nor `Sync`, and counts its builds.
struct Workshop {
    builds: std::cell::Cell<u32>,
    journal: Journal,
}

#[supervisor(max_restarts = 10, within = "1m")]
impl Workshop {
    #[child(backoff(initial = "1s"))]
    fn bench(&self) -> Member {
        self.builds.set(self.builds.get() + 1);
        self.journal
            .write(format!("bench built by the workshop, build {}", self.builds.get()));
        Member::new("bench", &self.journal)
    }
}

#[tokio::test]
async fn a_supervisor_needs_no_clone_and_builds_each_restart_from_its_own_state() {
    let t = TestSystem::new();
    let journal = Journal::new();
    let workshop = t.system().spawn({
        let journal = journal.clone();
        move || Workshop {
            builds: std::cell::Cell::new(0),
            journal: journal.clone(),
        }
    });
    assert_eq!(workshop.bench().bump().await, Ok(1));
    assert!(matches!(
        workshop.bench().crash().await,
        Err(CallError::Panicked { .. })
    ));
    // Built at once by the supervisor, started after the backoff.
    assert_eq!(workshop.bench().bump().await, Ok(1));
    assert_eq!(t.elapsed(), SECOND);
    assert_eq!(
        journal.entries(),
        [
            "bench built by the workshop, build 1",
            "bench started",
            "bench stopped: panicked: bench crashed",
            "bench built by the workshop, build 2",
            "bench started",
        ]
    );
}
