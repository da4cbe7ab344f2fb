//! `System::processes`: a snapshot of the running tree, on virtual time.

use std::time::Duration;

use phyx::prelude::*;
use phyx::{ProcessInfo, ProcessKind, Status};
use phyx_testkit::TestSystem;
use phyx_tests::{Counter, Gate};

const SECOND: Duration = Duration::from_secs(1);

#[derive(Default)]
struct Leaf;

#[process]
impl Leaf {
    #[public]
    fn ping(&self) {}
}

/// A process that starts a child of its own.
#[derive(Default)]
struct Parent;

#[process]
impl Parent {
    #[public]
    fn adopt(&mut self, ctx: &mut Ctx<Self>) {
        ctx.spawn(Leaf::default);
    }
}

struct Shop;

#[supervisor]
impl Shop {
    #[child]
    fn inventory(&self) -> Leaf {
        Leaf
    }

    #[child(backoff(initial = "1s"))]
    fn counter(&self) -> Counter {
        Counter::default()
    }
}

fn line(info: &ProcessInfo) -> (String, ProcessKind, usize) {
    (info.name.to_string(), info.kind, info.depth)
}

fn named<'a>(processes: &'a [ProcessInfo], name: &str) -> &'a ProcessInfo {
    processes
        .iter()
        .find(|info| &*info.name == name)
        .unwrap_or_else(|| panic!("no process named {name} in {processes:#?}"))
}

#[tokio::test]
async fn the_snapshot_walks_the_tree_depth_first_in_start_order() {
    let t = TestSystem::new();
    let system = t.system();
    let shop = system.spawn(|| Shop);
    let parent = system.spawn(Parent::default);
    parent.adopt().await.unwrap();
    let _pool: LeafRef = system.pool(2, Leaf::default);
    shop.inventory().ping().await.unwrap();
    t.settle().await;

    let processes = system.processes();
    let lines: Vec<_> = processes.iter().map(line).collect();
    assert_eq!(
        lines,
        [
            ("Shop".into(), ProcessKind::Supervisor, 0),
            ("inventory".into(), ProcessKind::Process, 1),
            ("counter".into(), ProcessKind::Process, 1),
            ("Parent".into(), ProcessKind::Process, 0),
            ("Leaf".into(), ProcessKind::Process, 1),
            ("Leaf".into(), ProcessKind::Pool, 0),
            ("Leaf[0]".into(), ProcessKind::Process, 1),
            ("Leaf[1]".into(), ProcessKind::Process, 1),
        ]
    );
    let shop_id = processes[0].id;
    assert_eq!(processes[0].id, shop.id());
    assert_eq!(processes[0].parent, None);
    assert_eq!(processes[1].parent, Some(shop_id));
    assert_eq!(processes[2].parent, Some(shop_id));
    assert_eq!(processes[4].parent, Some(parent.id()));
    assert!(processes.iter().all(|info| info.status == Status::Running));
}

#[tokio::test]
async fn restarts_and_uptime_are_counted_per_process_on_the_system_clock() {
    let t = TestSystem::new();
    let system = t.system();
    let shop = system.spawn(|| Shop);
    t.settle().await;
    t.advance(5 * SECOND).await;
    let counter = named(&system.processes(), "counter").clone();
    assert_eq!((counter.restarts, counter.uptime), (0, 5 * SECOND));

    let crashed = shop.counter().fail("boom".into()).await;
    assert!(crashed.is_err());
    let restarting = named(&system.processes(), "counter").clone();
    assert_eq!(restarting.status, Status::Restarting);
    assert_eq!(restarting.uptime, Duration::ZERO, "not serving during its backoff");

    t.advance(SECOND).await;
    t.advance(2 * SECOND).await;
    let counter = named(&system.processes(), "counter").clone();
    assert_eq!(counter.restarts, 1);
    assert_eq!(
        counter.uptime,
        2 * SECOND,
        "counted from the restart, after the 1 s backoff"
    );
    let inventory = named(&system.processes(), "inventory").clone();
    assert_eq!(
        (inventory.restarts, inventory.uptime),
        (0, 8 * SECOND),
        "one_for_one left it alone"
    );
}

#[tokio::test]
async fn the_mailbox_depth_is_what_waits_behind_the_handler() {
    let t = TestSystem::new();
    let system = t.system();
    let counter = system.spawn(Counter::default);
    let gate = Gate::new();
    let blocked = tokio::spawn(counter.wait(gate.clone()).into_future());
    gate.entered().await;
    for n in 0..3 {
        counter.increment(n).send().unwrap();
    }
    assert_eq!(named(&system.processes(), "Counter").queued, 3);
    gate.open();
    assert_eq!(blocked.await.unwrap(), Ok(0));
    assert_eq!(counter.get().await, Ok(3));
    assert_eq!(named(&system.processes(), "Counter").queued, 0);
}

#[tokio::test]
async fn a_process_stopped_for_good_leaves_the_snapshot() {
    let t = TestSystem::new();
    let system = t.system();
    let leaf = system.spawn(Leaf::default);
    let counter = system.spawn(Counter::default);
    leaf.ping().await.unwrap();
    Handle::stop(&leaf).await;
    let names: Vec<_> = system.processes().iter().map(|info| info.name.to_string()).collect();
    assert_eq!(names, ["Counter"]);
    assert_eq!(system.processes()[0].id, counter.id());
    system.shutdown().await;
    assert!(system.processes().is_empty());
}

#[tokio::test]
async fn a_line_names_the_process_and_its_vitals() {
    let t = TestSystem::new();
    let system = t.system();
    let leaf = system.spawn(Leaf::default);
    leaf.ping().await.unwrap();
    t.advance(SECOND).await;
    let info = &system.processes()[0];
    assert_eq!(
        info.to_string(),
        format!("Leaf#{} process Running, 0 queued, 0 restarts, up 1s", leaf.id().get())
    );
}
