//! Real network faults between nodes and their nats-server: each node
//! under test reaches the server through the test kit's `FaultProxy`
//! (real TCP on loopback), which adds latency, slows the link, cuts it
//! mid-call or partitions it, and heals it. What each fault does to the
//! callers on both sides: the calls that must succeed do, and those that
//! cannot end in `NodeDown`, never in a hang.
//!
//! Every wait that could hang is guarded; no timing is asserted but as a
//! lower bound (what the proxy holds back takes at least that long) or a
//! hang guard. The detection times measured are printed: run with
//! `--nocapture` to see them.

use std::future::IntoFuture;
use std::sync::Arc;
use std::time::{Duration, Instant};

use phyx::prelude::*;
use phyx::{CallError, Status};
use phyx_testkit::net::FaultProxy;
use tokio::sync::Semaphore;

use crate::fixture::{DETECTION, server};

/// A bound no detection, reconnect or server timeout should come near:
/// reaching it is a hang.
const HANG: Duration = Duration::from_secs(30);

async fn guarded<T>(what: &str, future: impl IntoFuture<Output = T>) -> T {
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

/// A process that says where it runs, keeps what it is told in order,
/// echoes bytes, and naps on demand (saying when a nap starts), all
/// from one test process, so the test knows when a call is in flight.
struct Station {
    node: String,
    entries: Vec<u64>,
    napping: Arc<Semaphore>,
}

#[process(remote)]
impl Station {
    #[public]
    fn node(&self) -> String {
        self.node.clone()
    }

    #[public]
    fn push(&mut self, entry: u64) {
        self.entries.push(entry);
    }

    #[public]
    fn entries(&self) -> Vec<u64> {
        self.entries.clone()
    }

    #[public]
    fn echo(&self, bytes: Vec<u8>) -> Vec<u8> {
        bytes
    }

    /// Replies after `millis`, from a task of its own: the station
    /// handles its next calls meanwhile (after a heal, say), so one nap in
    /// flight does not hold up the rest of a test.
    #[public]
    fn nap(&self, millis: u64, reply: Reply<()>) {
        self.napping.add_permits(1);
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(millis)).await;
            reply.send(());
        });
    }
}

/// A node with a `Station` registered as `station-<name>`.
struct Member {
    name: &'static str,
    system: System,
    napping: Arc<Semaphore>,
}

impl Member {
    /// Joins the cluster at `url` (the server's, or a proxy's in front of
    /// it) as `name`.
    async fn join(url: &str, name: &'static str) -> Self {
        let system = guarded(
            "joining",
            System::builder().node(name).cluster(url).detection(DETECTION).connect(),
        )
        .await
        .unwrap_or_else(|error| panic!("node `{name}` did not join: {error}"));
        let napping = Arc::new(Semaphore::new(0));
        let station = system.spawn_with(
            {
                let napping = napping.clone();
                move || Station {
                    node: name.to_owned(),
                    entries: Vec::new(),
                    napping: napping.clone(),
                }
            },
            // Room for every tell a test sends.
            phyx::SpawnOptions::new().mailbox(100_000),
        );
        guarded("registering", system.register(&format!("station-{name}"), &station))
            .await
            .unwrap();
        Self { name, system, napping }
    }

    /// The station of `other`, looked up from this node, once a lookup
    /// finds it (at once, or when a healed link lets it through).
    async fn station_of(&self, other: &Member) -> StationRef {
        let name = format!("station-{}", other.name);
        let found = guarded(&format!("`{}` looking up {name}", self.name), async {
            loop {
                if let Ok(station) = self.system.lookup::<StationRef>(&name).await {
                    return station;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await;
        let node = guarded("a first call", found.node()).await;
        assert_eq!(node.as_deref(), Ok(other.name), "{name} answers");
        found
    }

    /// Until this node's station is in a nap.
    async fn napping(&self) {
        guarded("the nap starting", self.napping.acquire())
            .await
            .unwrap()
            .forget();
    }

    async fn leave(self) {
        guarded("the shutdown", self.system.shutdown()).await;
    }
}

/// An ask that naps an hour, from a task: in flight until its node or
/// the link fails it.
fn nap_in_flight(station: &StationRef) -> tokio::task::JoinHandle<Result<(), CallError>> {
    let station = station.clone();
    tokio::spawn(async move { station.nap(3_600_000).await })
}

/// The call in flight's result, and how long after `since` it came.
async fn failed_after(
    what: &str,
    call: tokio::task::JoinHandle<Result<(), CallError>>,
    since: Instant,
) -> (Result<(), CallError>, Duration) {
    let result = guarded(what, call).await.expect("the calling task");
    (result, since.elapsed())
}

/// Whether the handle is still live: a peer declared down ends every
/// handle to its processes, so one false `NodeDown` shows here.
fn assert_live(station: &StationRef, node: &str) {
    assert_eq!(
        Handle::status(station),
        Status::Running,
        "`{node}` was declared down: its handle ended"
    );
}

// Latency and a slow link: calls slow down, nothing fails.

/// Latency each way: a round trip across one proxy costs twice this.
const LATENCY: Duration = Duration::from_millis(50);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_well_below_the_detection_time_slows_calls_and_declares_no_node_down() {
    across_latency(LATENCY).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_whose_round_trip_is_over_a_third_of_the_detection_time_declares_no_node_down() {
    // A round trip of 0.4 s: longer than the probes' interval (0.3 s),
    // shorter than the detection time (0.9 s). The node answers every
    // probe, late.
    across_latency(Duration::from_millis(200)).await;
}

/// Calls both ways between two nodes, one behind `latency` each way.
async fn across_latency(latency: Duration) {
    let Some(server) = server() else { return };
    let proxy = FaultProxy::start(server.addr()).await;
    let far = Member::join(&proxy.url(), "far").await;
    let near = Member::join(&server.url(), "near").await;
    let to_far = near.station_of(&far).await;
    let to_near = far.station_of(&near).await;
    proxy.delay(latency);

    // Calls both ways for several detection times, tells among them: the
    // probes cross the delay meanwhile.
    let until = Instant::now() + 3 * DETECTION;
    let (mut told, mut slowest, mut fastest) = (0, Duration::ZERO, Duration::MAX);
    while Instant::now() < until {
        for _ in 0..20 {
            to_far.push(told).send().unwrap();
            told += 1;
        }
        let started = Instant::now();
        let answer = guarded("an ask across the delay", to_far.node()).await;
        let took = started.elapsed();
        assert_eq!(answer.as_deref(), Ok("far"));
        (slowest, fastest) = (slowest.max(took), fastest.min(took));
        let answer = guarded("an ask from behind the delay", to_near.node()).await;
        assert_eq!(answer.as_deref(), Ok("near"));
    }
    // The ask crossed the proxy twice: the delay is really in the way.
    assert!(
        fastest >= 2 * latency,
        "an ask took {fastest:?} across {latency:?} each way"
    );
    let entries = guarded("the entries", to_far.entries()).await.unwrap();
    assert_eq!(entries, (0..told).collect::<Vec<_>>(), "one sender's tells, in order");

    // Quiet for longer than the detection time: only probes cross.
    tokio::time::sleep(2 * DETECTION).await;
    assert_live(&to_far, "far");
    assert_live(&to_near, "near");
    assert_eq!(
        guarded("an ask after the quiet", to_far.node()).await.as_deref(),
        Ok("far")
    );
    eprintln!(
        "latency {latency:?} each way, detection {DETECTION:?}: {told} tells in order, asks took {fastest:?} to {slowest:?}, no NodeDown"
    );
    near.leave().await;
    far.leave().await;
}

/// A slow link's rate, each way.
const BANDWIDTH: u64 = 256 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_link_carries_a_stream_of_asks_without_loss_or_a_false_node_down() {
    let Some(server) = server() else { return };
    let proxy = FaultProxy::start(server.addr()).await;
    let far = Member::join(&proxy.url(), "far").await;
    let near = Member::join(&server.url(), "near").await;
    let to_far = near.station_of(&far).await;
    proxy.bandwidth(BANDWIDTH);

    // 512 KiB each way, two seconds' worth at the rate, from four callers
    // at once: at most 16 KiB queued at the link, so a probe behind them
    // waits a few tens of milliseconds.
    let (callers, asks, size) = (4_u8, 32_u8, 4096);
    let started = Instant::now();
    let streams: Vec<_> = (0..callers)
        .map(|caller| {
            let to_far = to_far.clone();
            tokio::spawn(async move {
                for ask in 0..asks {
                    let bytes = vec![caller.wrapping_mul(asks).wrapping_add(ask); size];
                    match guarded("an ask over the slow link", to_far.echo(bytes.clone())).await {
                        Ok(back) => assert!(back == bytes, "caller {caller}, ask {ask}: the bytes came back changed"),
                        Err(error) => panic!("caller {caller}, ask {ask}: {error:?}"),
                    }
                }
            })
        })
        .collect();
    for stream in streams {
        guarded("a caller's asks", stream).await.unwrap();
    }
    let took = started.elapsed();
    let bytes = u64::from(callers) * u64::from(asks) * size as u64;
    let least = Duration::from_secs_f64(bytes as f64 / BANDWIDTH as f64 * 0.95);
    assert!(
        took >= least,
        "{bytes} bytes each way took {took:?}: the link is not that slow"
    );
    assert_live(&to_far, "far");
    eprintln!(
        "{} asks of {size} bytes over {BANDWIDTH} bytes/s each way: all answered in {took:?}, no NodeDown (detection {DETECTION:?})",
        u32::from(callers) * u32::from(asks)
    );
    near.leave().await;
    far.leave().await;
}

// A cut: the connection is reset under an ask in flight.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_under_the_callee_fails_the_call_in_flight_with_node_down_and_heals() {
    let Some(server) = server() else { return };
    let proxy = FaultProxy::start(server.addr()).await;
    let far = Member::join(&proxy.url(), "far").await;
    let near = Member::join(&server.url(), "near").await;
    let to_far = near.station_of(&far).await;

    let call = nap_in_flight(&to_far);
    far.napping().await;
    let cut_at = Instant::now();
    proxy.cut();
    let (result, after) = failed_after("the call in flight across the cut", call, cut_at).await;
    assert_node_down(result, "far");
    assert_node_down(guarded("a later call", to_far.node()).await, "far");
    eprintln!("callee's connection cut: NodeDown {after:?} after (detection {DETECTION:?})");

    // The callee's client reconnects once the link heals; a new lookup
    // reaches it.
    proxy.heal();
    let healed_at = Instant::now();
    let again = near.station_of(&far).await;
    eprintln!("callee reachable again {:?} after the heal", healed_at.elapsed());
    assert_eq!(guarded("a call once healed", again.node()).await.as_deref(), Ok("far"));
    near.leave().await;
    far.leave().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_under_the_caller_fails_its_call_in_flight_with_node_down_and_heals() {
    let Some(server) = server() else { return };
    let proxy = FaultProxy::start(server.addr()).await;
    let far = Member::join(&server.url(), "far").await;
    let near = Member::join(&proxy.url(), "near").await;
    let to_far = near.station_of(&far).await;

    let call = nap_in_flight(&to_far);
    far.napping().await;
    let cut_at = Instant::now();
    proxy.cut();
    // The caller cannot hear the callee any more: to it, the callee is
    // down (it cannot tell whose link failed).
    let (result, after) = failed_after("the call in flight from behind the cut", call, cut_at).await;
    assert_node_down(result, "far");
    eprintln!("caller's connection cut: NodeDown {after:?} after (detection {DETECTION:?})");

    proxy.heal();
    let healed_at = Instant::now();
    let again = near.station_of(&far).await;
    eprintln!("callee reachable again {:?} after the heal", healed_at.elapsed());
    assert_eq!(guarded("a call once healed", again.node()).await.as_deref(), Ok("far"));
    near.leave().await;
    far.leave().await;
}

// A partition: the connection stays open and silent.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partition_fails_calls_both_ways_with_node_down_and_both_sides_meet_again_once_healed() {
    let Some(server) = server() else { return };
    let proxy = FaultProxy::start(server.addr()).await;
    let far = Member::join(&proxy.url(), "far").await;
    let near = Member::join(&server.url(), "near").await;
    let to_far = near.station_of(&far).await;
    let to_near = far.station_of(&near).await;

    // A call each way in flight as the partition starts.
    let into = nap_in_flight(&to_far);
    far.napping().await;
    let out = nap_in_flight(&to_near);
    near.napping().await;
    let partitioned_at = Instant::now();
    proxy.blackhole();
    let (result, into_after) = failed_after("the call into the partition", into, partitioned_at).await;
    assert_node_down(result, "far");
    let (result, out_after) = failed_after("the call out of the partition", out, partitioned_at).await;
    assert_node_down(result, "near");
    assert_node_down(guarded("a later call into it", to_far.node()).await, "far");
    assert_node_down(guarded("a later call out of it", to_near.node()).await, "near");
    // The partitioned node cannot reach the registry: clear errors, in
    // the NATS client's own time, not hangs.
    let late = far.system.spawn(|| Station {
        node: "far".to_owned(),
        entries: Vec::new(),
        napping: Arc::new(Semaphore::new(0)),
    });
    let lookup = async {
        let asked_at = Instant::now();
        let result = far.system.lookup::<StationRef>("station-near").await;
        (result, asked_at.elapsed())
    };
    let register = async {
        let asked_at = Instant::now();
        let result = far.system.register("station-late", &late).await;
        (result, asked_at.elapsed())
    };
    let ((lookup, lookup_after), (register, register_after)) =
        guarded("a lookup and a register from inside the partition", async {
            tokio::join!(lookup, register)
        })
        .await;
    let lookup = match lookup {
        Err(error @ phyx::LookupError::Cluster { .. }) => error,
        other => panic!("expected LookupError::Cluster, got {:?}", other.map(|_| "a handle")),
    };
    let register = match register {
        Err(error @ phyx::RegisterError::Cluster { .. }) => error,
        other => panic!("expected RegisterError::Cluster, got {other:?}"),
    };
    eprintln!(
        "partition: NodeDown {into_after:?} for the caller outside, {out_after:?} for the caller inside \
         (detection {DETECTION:?}); inside, a lookup failed after {lookup_after:?} ({lookup}), \
         a register after {register_after:?} ({register})"
    );

    proxy.heal();
    let healed_at = Instant::now();
    let to_far = near.station_of(&far).await;
    let to_near = far.station_of(&near).await;
    eprintln!("both sides meet again {:?} after the heal", healed_at.elapsed());
    assert_eq!(
        guarded("a call in once healed", to_far.node()).await.as_deref(),
        Ok("far")
    );
    assert_eq!(
        guarded("a call out once healed", to_near.node()).await.as_deref(),
        Ok("near")
    );
    near.leave().await;
    far.leave().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_node_of_three_partitioned_the_other_two_keep_talking_and_all_meet_again() {
    let Some(server) = server() else { return };
    let proxy = FaultProxy::start(server.addr()).await;
    let a = Member::join(&server.url(), "a").await;
    let b = Member::join(&server.url(), "b").await;
    let cut_off = Member::join(&proxy.url(), "c").await;
    let (a_to_b, b_to_a) = (a.station_of(&b).await, b.station_of(&a).await);
    let (a_to_c, b_to_c) = (a.station_of(&cut_off).await, b.station_of(&cut_off).await);
    let (c_to_a, c_to_b) = (cut_off.station_of(&a).await, cut_off.station_of(&b).await);

    let calls_in = [nap_in_flight(&a_to_c), nap_in_flight(&b_to_c)];
    cut_off.napping().await;
    cut_off.napping().await;
    let calls_out = [nap_in_flight(&c_to_a), nap_in_flight(&c_to_b)];
    a.napping().await;
    b.napping().await;
    let partitioned_at = Instant::now();
    proxy.blackhole();

    // a and b talk all along, tells among the asks, until every call
    // across the partition has failed, and for a detection time more.
    let mut talking = tokio::spawn({
        let (a_to_b, b_to_a) = (a_to_b.clone(), b_to_a.clone());
        async move {
            for told in 0_u64.. {
                a_to_b.push(told).send().unwrap();
                assert_eq!(a_to_b.node().await.as_deref(), Ok("b"), "a asks b");
                assert_eq!(b_to_a.node().await.as_deref(), Ok("a"), "b asks a");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    });
    let [into_a, into_b] = calls_in;
    let [out_to_a, out_to_b] = calls_out;
    for (what, call, node) in [
        ("a's call into the partition", into_a, "c"),
        ("b's call into the partition", into_b, "c"),
        ("c's call out to a", out_to_a, "a"),
        ("c's call out to b", out_to_b, "b"),
    ] {
        let (result, after) = failed_after(what, call, partitioned_at).await;
        assert_node_down(result, node);
        eprintln!("{what}: NodeDown {after:?} after the partition (detection {DETECTION:?})");
    }
    let talked = tokio::time::timeout(DETECTION, &mut talking).await;
    assert!(talked.is_err(), "a and b stopped talking: {talked:?}");
    talking.abort();
    assert_live(&a_to_b, "b");
    assert_live(&b_to_a, "a");
    let entries = guarded("b's entries", a_to_b.entries()).await.unwrap();
    assert!(!entries.is_empty());
    assert_eq!(
        entries,
        (0..entries.len() as u64).collect::<Vec<_>>(),
        "a's tells, in order"
    );

    proxy.heal();
    let healed_at = Instant::now();
    for (from, to) in [(&a, &cut_off), (&b, &cut_off), (&cut_off, &a), (&cut_off, &b)] {
        let station = from.station_of(to).await;
        assert_eq!(
            guarded("a call once healed", station.node()).await.as_deref(),
            Ok(to.name)
        );
    }
    eprintln!("all three meet again {:?} after the heal", healed_at.elapsed());
    for member in [a, b, cut_off] {
        member.leave().await;
    }
}
