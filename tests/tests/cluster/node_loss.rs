//! A node that goes away (killed, partitioned, shut down) fails the calls
//! in flight to it with `NodeDown`, later calls at once, and its watchers
//! hear `Down`. No caller waits for its own timeout.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use phyx::prelude::*;
use phyx::{CallError, SendError, StopReason};
use phyx_testkit::net::FaultProxy;
use phyx_tests::remote::{Worker, WorkerRef};

use crate::fixture::{DETECTION, node, server};
use crate::nodes::NodeProcess;

/// A bound no detection should come near: reaching it is a hang.
const HANG: Duration = Duration::from_secs(30);

async fn guarded<T>(what: &str, future: impl std::future::IntoFuture<Output = T>) -> T {
    tokio::time::timeout(HANG, future)
        .await
        .unwrap_or_else(|_| panic!("{what} hung for {HANG:?}"))
}

fn assert_node_down<T: std::fmt::Debug>(result: Result<T, CallError>, node: &str) {
    match result {
        Err(CallError::NodeDown { node: down, .. }) => assert_eq!(&*down, node),
        other => panic!("expected NodeDown of `{node}`, got {other:?}"),
    }
}

/// Watches a remote worker and keeps the `Down`s it hears.
struct Monitor {
    worker: WorkerRef,
    downs: Arc<Mutex<Vec<Down>>>,
}

#[process]
impl Monitor {
    #[on_start]
    fn start(&mut self, ctx: &mut Ctx<Self>) {
        ctx.watch(&self.worker);
    }

    #[on_down]
    fn down(&mut self, down: Down) {
        self.downs.lock().unwrap().push(down);
    }

    #[public]
    fn downs(&self) -> usize {
        self.downs.lock().unwrap().len()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_node_fails_calls_in_flight_and_later_with_node_down() {
    let Some(server) = server() else { return };
    let mut killed = NodeProcess::start(&server, "doomed", "worker", false);
    let caller = node(&server, "caller").await;
    let worker: WorkerRef = caller.lookup("worker").await.unwrap();
    assert_eq!(worker.node().await.unwrap(), "doomed");
    let downs = Arc::new(Mutex::new(Vec::new()));
    let monitor = caller.spawn({
        let (worker, downs) = (worker.clone(), downs.clone());
        move || Monitor {
            worker: worker.clone(),
            downs: downs.clone(),
        }
    });
    monitor.downs().await.unwrap();

    // An hour-long call, in flight when the node dies.
    let in_flight = tokio::spawn({
        let worker = worker.clone();
        async move { worker.nap(3_600_000).await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let killed_at = Instant::now();
    killed.kill();
    let result = guarded("the call in flight", in_flight).await.unwrap();
    let detected_after = killed_at.elapsed();
    assert_node_down(result, "doomed");
    eprintln!("NodeDown {detected_after:?} after SIGKILL (detection time {DETECTION:?})");

    // Later calls fail at once, tells too: the node is known down.
    assert_node_down(guarded("a later ask", worker.handled()).await, "doomed");
    match worker.node().send() {
        Err(SendError::NodeDown { node, .. }) => assert_eq!(&*node, "doomed"),
        other => panic!("expected NodeDown, got {other:?}"),
    }
    assert_eq!(
        guarded("the remote handle's stop", Handle::stopped(&worker)).await,
        StopReason::NodeDown { node: "doomed".into() }
    );
    let down = guarded("the watcher's Down", async {
        loop {
            if let Some(down) = downs.lock().unwrap().first().cloned() {
                return down;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert_eq!(down.reason, StopReason::NodeDown { node: "doomed".into() });
    assert!(matches!(
        caller.lookup::<WorkerRef>("worker").await,
        Err(phyx::LookupError::NotFound { .. })
    ));
    caller.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_shuts_down_releases_its_names_and_tells_its_callers() {
    let Some(server) = server() else { return };
    let mut leaving = NodeProcess::start(&server, "leaving", "worker", false);
    let caller = node(&server, "caller").await;
    let worker: WorkerRef = caller.lookup("worker").await.unwrap();
    assert_eq!(worker.node().await.unwrap(), "leaving");
    leaving.exit();
    assert_node_down(guarded("an ask after the node left", worker.handled()).await, "leaving");
    assert!(matches!(
        caller.lookup::<WorkerRef>("worker").await,
        Err(phyx::LookupError::NotFound { .. })
    ));
    // The name is free: another node takes it, and a new lookup reaches it.
    let other = node(&server, "other").await;
    let replacement = other.spawn(|| Worker::on("other"));
    other.register("worker", &replacement).await.unwrap();
    let worker: WorkerRef = caller.lookup("worker").await.unwrap();
    assert_eq!(worker.node().await.unwrap(), "other");
    caller.shutdown().await;
    other.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_back_under_its_name_after_a_kill_takes_its_name_again() {
    let Some(server) = server() else { return };
    let mut first = NodeProcess::start(&server, "phoenix", "worker", false);
    first.kill();
    // Its claims on the node name and the process name were left behind;
    // nobody answers for them, so they are taken over.
    let _second = NodeProcess::start(&server, "phoenix", "worker", false);
    let caller = node(&server, "caller").await;
    let worker: WorkerRef = caller.lookup("worker").await.unwrap();
    assert_eq!(worker.node().await.unwrap(), "phoenix");
    caller.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_node_keeps_its_name() {
    let Some(server) = server() else { return };
    let _holder = NodeProcess::start(&server, "unique", "worker", false);
    let refused = System::builder().node("unique").cluster(server.url()).connect().await;
    match refused {
        Err(phyx::cluster::ClusterError::NameTaken { node, .. }) => assert_eq!(&*node, "unique"),
        other => panic!("expected NameTaken, got {:?}", other.map(|_| "a system")),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partitioned_node_is_declared_down_and_found_again_once_healed() {
    let Some(server) = server() else { return };
    let proxy = FaultProxy::start(server.addr()).await;
    let far = System::builder()
        .node("far")
        .cluster(proxy.url())
        .detection(DETECTION)
        .connect()
        .await
        .unwrap();
    let far_worker = far.spawn(|| Worker::on("far"));
    far.register("worker", &far_worker).await.unwrap();
    let caller = node(&server, "caller").await;
    let worker: WorkerRef = caller.lookup("worker").await.unwrap();
    assert_eq!(worker.node().await.unwrap(), "far");

    proxy.blackhole();
    assert_node_down(guarded("a call across the partition", worker.nap(10)).await, "far");
    assert_node_down(guarded("a later call", worker.handled()).await, "far");

    proxy.heal();
    let found = guarded("a lookup once healed", async {
        loop {
            if let Ok(worker) = caller.lookup::<WorkerRef>("worker").await {
                return worker;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert_eq!(guarded("a call once healed", found.node()).await.unwrap(), "far");
    caller.shutdown().await;
    far.shutdown().await;
}

/// A clock that moves only when the test says: the cluster's probes and
/// sweeps read the system's clock, as every phyx timer does.
#[derive(Debug, Clone)]
struct ManualClock {
    start: Instant,
    offset: Arc<tokio::sync::watch::Sender<Duration>>,
}

impl ManualClock {
    fn new() -> Self {
        Self {
            start: Instant::now(),
            offset: Arc::new(tokio::sync::watch::channel(Duration::ZERO).0),
        }
    }

    fn advance(&self, by: Duration) {
        self.offset.send_modify(|offset| *offset += by);
    }
}

impl phyx::Clock for ManualClock {
    fn now(&self) -> Instant {
        self.start + *self.offset.borrow()
    }

    fn sleep_until(&self, deadline: Instant) -> phyx::Sleep {
        let (start, mut offset) = (self.start, self.offset.subscribe());
        phyx::Sleep::new(async move {
            let _ = offset.wait_for(|offset| start + *offset >= deadline).await;
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_loss_is_detected_on_the_systems_clock() {
    let Some(server) = server() else { return };
    let mut killed = NodeProcess::start(&server, "doomed", "worker", false);
    let clock = ManualClock::new();
    let caller = System::builder()
        .clock(clock.clone())
        .node("caller")
        .cluster(server.url())
        .detection(DETECTION)
        .connect()
        .await
        .unwrap();
    let worker: WorkerRef = caller.lookup("worker").await.unwrap();
    let in_flight = tokio::spawn({
        let worker = worker.clone();
        async move { worker.nap(3_600_000).await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    killed.kill();
    // Several real detection times pass, and the clock does not move: no
    // probe runs, so nothing is detected.
    tokio::time::sleep(DETECTION * 2).await;
    assert!(
        !in_flight.is_finished(),
        "node loss detected without the system's clock moving"
    );
    clock.advance(DETECTION);
    assert_node_down(guarded("the call in flight", in_flight).await.unwrap(), "doomed");
    caller.shutdown().await;
}
