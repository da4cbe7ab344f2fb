//! Dynamic children: started at run time through `Supervisor`, each
//! restarted alone by its own options, all under the supervisor's
//! intensity, all stopped with it. On virtual time.

use std::time::Duration;

use phyx::prelude::*;
use phyx::{Backoff, ChildError, Restart, SpawnOptions, Status, StopReason, event::EventKind};
use phyx_testkit::TestSystem;
use phyx_tests::Journal;

const SECOND: Duration = Duration::from_secs(1);

/// A child that counts, crashes or stops on demand, and writes its life to
/// a journal.
struct Member {
    name: String,
    journal: Journal,
    count: u32,
}

impl Member {
    fn factory(name: &str, journal: &Journal) -> impl Fn() -> Self + Send + Sync + 'static {
        let (name, journal) = (name.to_owned(), journal.clone());
        move || Self {
            name: name.clone(),
            journal: journal.clone(),
            count: 0,
        }
    }
}

#[process(backoff(initial = "1s"))]
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

/// Dynamic children only.
struct Server;

#[supervisor(max_restarts = 3, within = "1m")]
impl Server {}

fn start(server: &ServerRef, names: &[&str], journal: &Journal) -> Vec<MemberRef> {
    names
        .iter()
        .map(|name| {
            let options = SpawnOptions::new().name(name);
            server
                .start_child_with(Member::factory(name, journal), options)
                .unwrap()
        })
        .collect()
}

#[tokio::test]
async fn a_crashed_dynamic_child_restarts_alone_after_its_backoff() {
    let t = TestSystem::new();
    let journal = Journal::new();
    let server = t.system().spawn(|| Server);
    let members = start(&server, &["a", "b", "c"], &journal);
    t.settle().await;
    assert_eq!(server.children(), members.iter().map(Handle::id).collect::<Vec<_>>());
    for member in &members {
        assert_eq!(member.bump().await, Ok(1));
    }
    let before = journal.entries().len();
    assert!(matches!(members[1].crash().await, Err(CallError::Panicked { .. })));
    t.advance(SECOND / 2).await;
    assert_eq!(members[1].status(), Status::Restarting, "in its backoff");
    t.advance(SECOND / 2).await;
    let mut counts = Vec::new();
    for member in &members {
        counts.push(member.bump().await.unwrap());
    }
    assert_eq!(
        journal.entries()[before..],
        ["b stopped: panicked: b crashed", "b started"]
    );
    assert_eq!(counts, [2, 1, 2], "only b starts from fresh state");
    assert_eq!(t.events().restarts_of("b")[0].delay, SECOND);
    assert_eq!(server.children().len(), 3, "a restarted child stays in the list");
}

#[tokio::test]
async fn each_dynamic_child_restarts_by_its_own_options() {
    let t = TestSystem::new();
    let server = t.system().spawn(|| Server);
    let journal = Journal::new();
    let slow = SpawnOptions::new()
        .name("slow")
        .backoff(Backoff::exponential(3 * SECOND, 3 * SECOND));
    let slow = server
        .start_child_with(Member::factory("slow", &journal), slow)
        .unwrap();
    slow.crash().await.unwrap_err();
    assert_eq!(t.events().restarts_of("slow")[0].delay, 3 * SECOND);
    t.advance(3 * SECOND).await;
    assert_eq!(slow.bump().await, Ok(1));
}

#[tokio::test]
async fn past_the_intensity_the_supervisor_escalates_and_every_child_stops() {
    let t = TestSystem::new();
    let journal = Journal::new();
    let server = t.system().spawn(|| Server);
    let members = start(&server, &["a", "b"], &journal);
    for _ in 0..4 {
        members[0].crash().await.unwrap_err();
        t.advance(SECOND).await;
    }
    assert_eq!(server.status(), Status::Stopped);
    assert_eq!(members[0].status(), Status::Stopped);
    assert_eq!(members[1].status(), Status::Stopped);
    assert!(matches!(members[1].bump().await, Err(CallError::Stopped { .. })));
    let events = t.events().of("Server");
    assert_eq!(
        events.count(|kind| matches!(kind, EventKind::RestartLimitReached { max_restarts: 3, .. })),
        1
    );
    assert!(journal.entries().contains(&"b stopped: shutdown".to_owned()));
}

#[tokio::test]
async fn stopping_the_supervisor_stops_every_dynamic_child_first() {
    let t = TestSystem::new();
    let journal = Journal::new();
    let server = t.system().spawn(|| Server);
    let members = start(&server, &["a", "b", "c"], &journal);
    t.settle().await;
    let stopped: Vec<_> = members.iter().map(Handle::stopped).collect();
    Handle::stop(&server).await;
    for member in &members {
        assert_eq!(member.status(), Status::Stopped, "stopped before its supervisor");
    }
    for stopped in stopped {
        assert_eq!(stopped.await, StopReason::Shutdown);
    }
    let stops: Vec<String> = journal
        .entries()
        .into_iter()
        .filter(|entry| entry.contains("stopped"))
        .collect();
    assert_eq!(stops.len(), 3);
    // Every child's `Stopped` comes before its supervisor's.
    let trace = t.events().trace();
    let last_child = trace
        .iter()
        .rposition(|line| line.contains("stopped") && !line.contains("Server"))
        .unwrap();
    let server_stop = trace
        .iter()
        .position(|line| line.contains("stopped") && line.contains("Server"))
        .unwrap();
    assert!(last_child < server_stop, "{trace:#?}");
}

#[tokio::test]
async fn a_transient_child_that_stops_normally_leaves_the_list() {
    let t = TestSystem::new();
    let journal = Journal::new();
    let server = t.system().spawn(|| Server);
    let transient = SpawnOptions::new().name("transient").restart(Restart::Transient);
    let transient = server
        .start_child_with(Member::factory("transient", &journal), transient)
        .unwrap();
    let stays = server.start_child(Member::factory("stays", &journal)).unwrap();
    t.settle().await;
    transient.finish().await.unwrap();
    assert_eq!(transient.stopped().await, StopReason::Normal);
    assert_eq!(server.children(), [stays.id()]);
    assert!(t.events().restarts_of("transient").is_empty());
    assert_eq!(
        t.events()
            .of("Server")
            .count(|kind| matches!(kind, EventKind::ChildRemoved { child } if *child == transient.id())),
        1
    );
}

#[tokio::test]
async fn a_temporary_child_is_never_restarted_and_leaves_the_list() {
    let t = TestSystem::new();
    let journal = Journal::new();
    let server = t.system().spawn(|| Server);
    let temporary = SpawnOptions::new().name("temporary").restart(Restart::Temporary);
    let temporary = server
        .start_child_with(Member::factory("temporary", &journal), temporary)
        .unwrap();
    temporary.crash().await.unwrap_err();
    assert!(matches!(temporary.stopped().await, StopReason::Panicked { .. }));
    assert!(server.children().is_empty());
    assert!(t.events().restarts_of("temporary").is_empty());
}

#[tokio::test]
async fn terminate_child_stops_and_removes_it_once() {
    let t = TestSystem::new();
    let journal = Journal::new();
    let server = t.system().spawn(|| Server);
    let members = start(&server, &["a", "b"], &journal);
    server.terminate_child(&members[0]).await.unwrap();
    assert_eq!(members[0].status(), Status::Stopped);
    assert_eq!(server.children(), [members[1].id()]);
    assert!(matches!(
        server.terminate_child(&members[0]).await,
        Err(ChildError::NotAChild { child, .. }) if child == members[0].id()
    ));
    t.settle().await;
    assert!(
        t.events().restarts_of("a").is_empty(),
        "a terminated child stays stopped"
    );
}

#[tokio::test]
async fn starting_a_child_on_a_stopped_supervisor_is_an_error() {
    let t = TestSystem::new();
    let server = t.system().spawn(|| Server);
    Handle::stop(&server).await;
    let refused = server.start_child(Member::factory("late", &Journal::new()));
    assert!(matches!(refused, Err(ChildError::Stopped { ref supervisor, .. }) if &**supervisor == "Server"));
    assert!(server.children().is_empty());
}

/// Static children under one_for_all, and dynamic ones beside them.
#[derive(Clone)]
struct Mixed {
    journal: Journal,
}

#[supervisor(strategy = one_for_all, max_restarts = 10, within = "1m")]
impl Mixed {
    #[child(backoff(initial = "1s"))]
    fn fixed(&self) -> Member {
        Member::factory("fixed", &self.journal)()
    }
}

#[tokio::test]
async fn a_static_group_restart_leaves_dynamic_children_running_and_they_restart_alone() {
    let t = TestSystem::new();
    let journal = Journal::new();
    let mixed = t.system().spawn({
        let journal = journal.clone();
        move || Mixed {
            journal: journal.clone(),
        }
    });
    let dynamic = mixed
        .start_child_with(
            Member::factory("dynamic", &journal),
            SpawnOptions::new().name("dynamic"),
        )
        .unwrap();
    assert_eq!(dynamic.bump().await, Ok(1));
    assert_eq!(mixed.fixed().bump().await, Ok(1));
    mixed.fixed().crash().await.unwrap_err();
    t.advance(SECOND).await;
    assert_eq!(dynamic.bump().await, Ok(2), "a static restart leaves it alone");
    assert_eq!(mixed.fixed().bump().await, Ok(1));
    dynamic.crash().await.unwrap_err();
    t.advance(SECOND).await;
    assert_eq!(dynamic.bump().await, Ok(1));
    assert_eq!(mixed.fixed().bump().await, Ok(2), "one for one for a dynamic child");
}
