//! Pools: one handle, several members; fixed or resizable, routed least
//! loaded, round robin or by key.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use phyx::pool::{Pool, Routing};
use phyx::prelude::*;
use phyx::{CallError, SpawnOptions, Status, StopReason};
use phyx_testkit::TestSystem;
use phyx_tests::Gate;

struct Worker {
    done: Arc<AtomicU64>,
}

#[process]
impl Worker {
    /// Blocks at `gate`, then says which member it was.
    #[public]
    async fn hold(&self, ctx: &mut Ctx<Self>, gate: Gate) -> String {
        gate.pass().await;
        ctx.name().to_owned()
    }

    #[public]
    fn work(&self) {
        self.done.fetch_add(1, Ordering::SeqCst);
    }

    #[public]
    fn crash(&self) {
        panic!("member crashed");
    }
}

fn pool(t: &TestSystem, size: usize) -> (WorkerRef, Arc<AtomicU64>) {
    let done = Arc::new(AtomicU64::new(0));
    let factory = {
        let done = done.clone();
        move || Worker { done: done.clone() }
    };
    (t.system().pool(size, factory), done)
}

#[tokio::test]
async fn calls_go_to_idle_members_first() {
    let t = TestSystem::new();
    let (workers, _) = pool(&t, 3);
    let gate = Gate::new();
    let holds: Vec<_> = (0..3)
        .map(|_| tokio::spawn(workers.hold(gate.clone()).into_future()))
        .collect();
    for _ in 0..3 {
        gate.entered().await;
    }
    gate.open();
    let mut members = BTreeSet::new();
    for hold in holds {
        members.insert(hold.await.unwrap().unwrap());
    }
    assert_eq!(
        members,
        BTreeSet::from(["Worker[0]".to_owned(), "Worker[1]".to_owned(), "Worker[2]".to_owned()])
    );
}

#[tokio::test]
async fn tells_and_asks_both_reach_the_members() {
    let t = TestSystem::new();
    let (workers, done) = pool(&t, 4);
    for _ in 0..30 {
        workers.work().send().unwrap();
    }
    for _ in 0..10 {
        workers.work().await.unwrap();
    }
    t.settle().await;
    assert_eq!(done.load(Ordering::SeqCst), 40);
}

#[tokio::test]
async fn a_crashed_member_is_replaced_and_the_pool_keeps_serving() {
    let t = TestSystem::new();
    let (workers, done) = pool(&t, 2);
    let error = workers.crash().await.unwrap_err();
    assert!(matches!(error, CallError::Panicked { .. }));
    for _ in 0..4 {
        workers.work().await.unwrap();
    }
    t.advance(Duration::from_secs(1)).await;
    let restarted: Vec<_> = ["Worker[0]", "Worker[1]"]
        .into_iter()
        .filter(|name| !t.events().restarts_of(name).is_empty())
        .collect();
    assert_eq!(restarted.len(), 1, "the crashed member restarted");
    let gate = Gate::new();
    let holds: Vec<_> = (0..2)
        .map(|_| tokio::spawn(workers.hold(gate.clone()).into_future()))
        .collect();
    gate.entered().await;
    gate.entered().await;
    gate.open();
    for hold in holds {
        hold.await.unwrap().unwrap();
    }
    assert_eq!(done.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn stopping_the_pool_stops_its_members() {
    let t = TestSystem::new();
    let (workers, _) = pool(&t, 3);
    workers.work().await.unwrap();
    Handle::stop(&workers).await;
    assert_eq!(workers.status(), Status::Stopped);
    assert!(matches!(workers.work().await, Err(CallError::Stopped { .. })));
    assert_eq!(t.events().stops_of("Worker[2]").len(), 1);
}

// ---- Resizable pools and routing policies (`System::spawn_pool`) ----

/// What a `Job` did: the member, the key, the sequence number.
type Log = Arc<Mutex<Vec<(String, u64, u64)>>>;

struct Job {
    log: Log,
}

#[process]
impl Job {
    /// Works `millis` of virtual time, then logs itself.
    #[public]
    async fn job(&self, ctx: &mut Ctx<Self>, key: u64, seq: u64, millis: u64) -> String {
        if millis > 0 {
            ctx.sleep(Duration::from_millis(millis)).await;
        }
        let name = ctx.name().to_owned();
        self.log.lock().unwrap().push((name.clone(), key, seq));
        name
    }

    /// Blocks at `gate`.
    #[public]
    async fn hold(&self, ctx: &mut Ctx<Self>, key: u64, gate: Gate) -> String {
        let _ = key;
        gate.pass().await;
        ctx.name().to_owned()
    }

    #[public]
    fn crash(&self, key: u64) {
        let _ = key;
        panic!("member crashed");
    }
}

fn by_job_key() -> Routing<JobMsg> {
    Routing::by_key(|message: &JobMsg| match message {
        JobMsg::Job { key, .. } | JobMsg::Hold { key, .. } | JobMsg::Crash { key, .. } => Some(*key.get()),
    })
}

fn jobs(t: &TestSystem, pool: Pool<JobMsg>) -> (JobRef, Log) {
    let log = Log::default();
    let factory = {
        let log = log.clone();
        move || Job { log: log.clone() }
    };
    (t.system().spawn_pool(factory, pool), log)
}

fn size(pool: &JobRef) -> usize {
    pool.pool_status().unwrap().size
}

/// SplitMix64, for seeded workloads.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next_u64() % bound
    }
}

#[tokio::test]
async fn a_pool_grows_under_load_up_to_max_and_not_past_it() {
    let t = TestSystem::new();
    let (pool, _) = jobs(&t, Pool::new().min(1).max(3));
    assert_eq!(size(&pool), 1);
    let gate = Gate::new();
    let holds: Vec<_> = (0..8)
        .map(|key| tokio::spawn(pool.hold(key, gate.clone()).into_future()))
        .collect();
    for _ in 0..3 {
        gate.entered().await;
    }
    t.settle().await;
    let status = pool.pool_status().unwrap();
    assert_eq!((status.size, status.live, status.min, status.max), (3, 3, 1, 3));
    assert!(status.members.iter().all(|member| member.busy));
    assert_eq!(status.members.iter().map(|member| member.queued).sum::<usize>(), 5);
    gate.open();
    let mut members = BTreeSet::new();
    for hold in holds {
        members.insert(hold.await.unwrap().unwrap());
    }
    assert_eq!(
        members,
        BTreeSet::from(["Job[0]".to_owned(), "Job[1]".to_owned(), "Job[2]".to_owned()])
    );
    assert_eq!(size(&pool), 3);
}

#[tokio::test]
async fn a_pool_grows_only_once_every_member_is_at_the_growth_load() {
    let t = TestSystem::new();
    let (pool, _) = jobs(&t, Pool::new().min(1).max(4).grow_at(3));
    let gate = Gate::new();
    // One in hand and two waiting: the first member takes three.
    let holds: Vec<_> = (0..3)
        .map(|key| tokio::spawn(pool.hold(key, gate.clone()).into_future()))
        .collect();
    t.settle().await;
    assert_eq!(size(&pool), 1);
    let fourth = tokio::spawn(pool.hold(3, gate.clone()).into_future());
    t.settle().await;
    assert_eq!(size(&pool), 2);
    gate.open();
    for hold in holds {
        hold.await.unwrap().unwrap();
    }
    assert_eq!(fourth.await.unwrap().unwrap(), "Job[1]");
}

#[tokio::test]
async fn a_pool_shrinks_after_the_idle_timeout_down_to_min_and_not_below() {
    let t = TestSystem::new();
    let idle = Duration::from_secs(10);
    let (pool, _) = jobs(&t, Pool::new().min(2).max(5).idle_timeout(idle));
    let gate = Gate::new();
    let holds: Vec<_> = (0..5)
        .map(|key| tokio::spawn(pool.hold(key, gate.clone()).into_future()))
        .collect();
    for _ in 0..5 {
        gate.entered().await;
    }
    assert_eq!(size(&pool), 5);
    gate.open();
    for hold in holds {
        hold.await.unwrap().unwrap();
    }
    t.advance(idle - Duration::from_millis(1)).await;
    assert_eq!(size(&pool), 5, "not before the idle timeout");
    t.advance(Duration::from_millis(1)).await;
    let status = pool.pool_status().unwrap();
    assert_eq!((status.size, status.live), (2, 2));
    assert_eq!(
        status
            .members
            .iter()
            .map(|member| member.name.as_str())
            .collect::<Vec<_>>(),
        ["Job[0]", "Job[1]"],
        "the oldest stay"
    );
    for retired in ["Job[2]", "Job[3]", "Job[4]"] {
        assert!(matches!(&t.events().stops_of(retired)[..], [(_, StopReason::Shutdown)]));
    }
    t.advance(idle * 10).await;
    assert_eq!(size(&pool), 2, "never below min");
    // And it grows again.
    let gate = Gate::new();
    let holds: Vec<_> = (0..3)
        .map(|key| tokio::spawn(pool.hold(key, gate.clone()).into_future()))
        .collect();
    for _ in 0..3 {
        gate.entered().await;
    }
    assert_eq!(size(&pool), 3);
    assert_eq!(pool.pool_status().unwrap().members[2].name, "Job[5]");
    gate.open();
    for hold in holds {
        hold.await.unwrap().unwrap();
    }
}

#[tokio::test]
async fn a_busy_member_is_not_retired() {
    let t = TestSystem::new();
    let idle = Duration::from_secs(1);
    let (pool, log) = jobs(&t, Pool::new().min(1).max(2).idle_timeout(idle));
    let gate = Gate::new();
    let held = tokio::spawn(pool.hold(0, gate.clone()).into_future());
    gate.entered().await;
    // The second member gets a long job.
    let long = tokio::spawn(pool.job(1, 1, 5_000).into_future());
    t.settle().await;
    assert_eq!(size(&pool), 2);
    gate.open();
    held.await.unwrap().unwrap();
    t.advance(Duration::from_secs(3)).await;
    let status = pool.pool_status().unwrap();
    let members: Vec<_> = status
        .members
        .iter()
        .map(|member| (member.name.as_str(), member.busy))
        .collect();
    assert_eq!(members, [("Job[1]", true)], "the idle member went, the busy one stays");
    assert_eq!(long.await.unwrap().unwrap(), "Job[1]");
    assert_eq!(log.lock().unwrap().len(), 1);
    t.advance(Duration::from_secs(10)).await;
    assert_eq!(size(&pool), 1);
}

#[tokio::test]
async fn no_message_is_lost_or_duplicated_while_a_pool_shrinks_under_load() {
    let t = TestSystem::new();
    let mut rng = SplitMix64(t.seed());
    let idle = Duration::from_millis(50);
    // A short shutdown timeout: a member retired with work in hand would
    // lose it.
    let options = SpawnOptions::new().shutdown_timeout(Duration::from_millis(1));
    let pool = Pool::new().min(1).max(6).idle_timeout(idle).options(options);
    let (pool, log) = jobs(&t, pool);
    let mut asks = Vec::new();
    let mut sent = 0_u64;
    let (mut grown, mut shrunk) = (0, 0);
    for _round in 0..60 {
        for _ in 0..rng.below(40) {
            let work = rng.below(30);
            if rng.below(2) == 0 {
                pool.job(0, sent, work).send().unwrap();
            } else {
                asks.push(tokio::spawn(pool.job(0, sent, work).into_future()));
            }
            sent += 1;
            if rng.below(4) == 0 {
                t.advance(Duration::from_millis(rng.below(5))).await;
            }
        }
        let before = size(&pool);
        t.advance(Duration::from_millis(rng.below(150))).await;
        let after = size(&pool);
        grown = grown.max(before);
        if after < before {
            shrunk += 1;
        }
    }
    t.advance(Duration::from_secs(10)).await;
    for ask in asks {
        ask.await.unwrap().unwrap();
    }
    let mut seen: Vec<u64> = log.lock().unwrap().iter().map(|&(_, _, seq)| seq).collect();
    seen.sort_unstable();
    assert_eq!(seen, (0..sent).collect::<Vec<_>>(), "seed {}", t.seed());
    assert!(
        grown > 2 && shrunk > 5,
        "the workload grows and shrinks the pool: {grown}, {shrunk}"
    );
    assert_eq!(size(&pool), 1);
}

#[tokio::test]
async fn round_robin_spreads_evenly_whatever_the_load() {
    let t = TestSystem::new();
    let (pool, log) = jobs(&t, Pool::new().size(4).routing(Routing::round_robin()));
    // The first member is held busy; round robin gives it its share all the
    // same (least-loaded would not).
    let gate = Gate::new();
    let held = tokio::spawn(pool.hold(0, gate.clone()).into_future());
    gate.entered().await;
    for seq in 0..39 {
        pool.job(0, seq, 0).send().unwrap();
    }
    t.settle().await;
    gate.open();
    assert_eq!(held.await.unwrap().unwrap(), "Job[0]");
    t.settle().await;
    let mut counts = std::collections::BTreeMap::new();
    for (member, _, _) in log.lock().unwrap().iter() {
        *counts.entry(member.clone()).or_insert(0) += 1;
    }
    assert_eq!(
        counts.into_iter().collect::<Vec<_>>(),
        [
            ("Job[0]".to_owned(), 9),
            ("Job[1]".to_owned(), 10),
            ("Job[2]".to_owned(), 10),
            ("Job[3]".to_owned(), 10)
        ]
    );
}

/// Per key: the members its messages ran on, and whether they ran in order.
fn per_key(log: &Log) -> std::collections::BTreeMap<u64, (BTreeSet<String>, Vec<u64>)> {
    let mut keys = std::collections::BTreeMap::<u64, (BTreeSet<String>, Vec<u64>)>::new();
    for (member, key, seq) in log.lock().unwrap().iter() {
        let entry = keys.entry(*key).or_default();
        entry.0.insert(member.clone());
        entry.1.push(*seq);
    }
    keys
}

fn in_order(seqs: &[u64]) -> bool {
    seqs.windows(2).all(|pair| pair[0] < pair[1])
}

#[tokio::test]
async fn by_key_keeps_each_keys_order_on_one_member() {
    let t = TestSystem::new();
    let mut rng = SplitMix64(t.seed());
    let (pool, log) = jobs(&t, Pool::new().size(4).routing(by_job_key()));
    // Tells, sent in order (an ask in a task of its own would be sent when
    // that task first runs).
    for seq in 0..400 {
        let (key, work) = (rng.below(12), rng.below(20));
        pool.job(key, seq, work).send().unwrap();
        if rng.below(8) == 0 {
            t.advance(Duration::from_millis(rng.below(10))).await;
        }
    }
    t.advance(Duration::from_secs(60)).await;
    let keys = per_key(&log);
    assert_eq!(keys.values().map(|(_, seqs)| seqs.len()).sum::<usize>(), 400);
    let mut used = BTreeSet::new();
    for (key, (members, seqs)) in &keys {
        assert_eq!(members.len(), 1, "key {key} on one member, seed {}", t.seed());
        assert!(in_order(seqs), "key {key} in order, seed {}", t.seed());
        used.extend(members.iter().cloned());
    }
    assert_eq!(used.len(), 4, "the keys spread over the members");
}

#[tokio::test]
async fn by_key_a_crashed_members_keys_wait_for_it_in_order() {
    let t = TestSystem::new();
    let (pool, log) = jobs(&t, Pool::new().size(3).routing(by_job_key()));
    let member_of = |key| pool.job(key, u64::MAX, 0).into_future();
    let crashed = member_of(7).await.unwrap();
    let other_key = (0..100).find(|&key| key % 3 != 7 % 3).unwrap();
    let other = member_of(other_key).await.unwrap();
    log.lock().unwrap().clear();
    assert!(matches!(pool.crash(7).await, Err(CallError::Panicked { .. })));
    let waiting: Vec<_> = (0..5)
        .map(|seq| tokio::spawn(pool.job(7, seq, 1).into_future()))
        .collect();
    assert_eq!(pool.job(other_key, 0, 0).await.unwrap(), other, "other keys go on");
    t.settle().await;
    let status = pool.pool_status().unwrap();
    let member = status.members.iter().find(|member| member.name == crashed).unwrap();
    assert_eq!((member.status, member.queued), (Status::Restarting, 5));
    assert!(log.lock().unwrap().iter().all(|&(_, key, _)| key != 7), "key 7 waits");
    t.advance(Duration::from_secs(1)).await;
    for ask in waiting {
        assert_eq!(ask.await.unwrap().unwrap(), crashed);
    }
    let keys = per_key(&log);
    assert_eq!(keys[&7].1, [0, 1, 2, 3, 4]);
}

#[tokio::test]
async fn by_key_a_member_stopped_for_good_gives_its_keys_to_live_members() {
    let t = TestSystem::new();
    let options = SpawnOptions::new().max_restarts(0, Duration::from_secs(60));
    let (pool, log) = jobs(&t, Pool::new().size(3).routing(by_job_key()).options(options));
    let doomed = pool.job(7, u64::MAX, 0).await.unwrap();
    assert!(matches!(pool.crash(7).await, Err(CallError::Panicked { .. })));
    t.settle().await;
    let status = pool.pool_status().unwrap();
    assert_eq!((status.size, status.live), (3, 2));
    log.lock().unwrap().clear();
    for seq in 0..60 {
        pool.job(seq % 12, seq, 0).await.unwrap();
    }
    let keys = per_key(&log);
    for (key, (members, seqs)) in &keys {
        assert_eq!(members.len(), 1, "key {key} on one member");
        assert!(!members.contains(&doomed), "key {key} on a live member");
        assert!(in_order(seqs));
    }
}

#[tokio::test]
async fn round_robin_skips_a_member_stopped_for_good() {
    let t = TestSystem::new();
    let options = SpawnOptions::new().max_restarts(0, Duration::from_secs(60));
    let (pool, log) = jobs(&t, Pool::new().size(3).routing(Routing::round_robin()).options(options));
    assert!(matches!(pool.crash(0).await, Err(CallError::Panicked { .. })));
    t.settle().await;
    for seq in 0..30 {
        pool.job(0, seq, 0).await.unwrap();
    }
    let members: BTreeSet<_> = log
        .lock()
        .unwrap()
        .iter()
        .map(|(member, _, _)| member.clone())
        .collect();
    assert_eq!(members, BTreeSet::from(["Job[1]".to_owned(), "Job[2]".to_owned()]));
}

#[tokio::test]
async fn pool_status_tells_each_members_queue() {
    let t = TestSystem::new();
    let (pool, _) = jobs(&t, Pool::new().size(2));
    let gate = Gate::new();
    let holds: Vec<_> = (0..5)
        .map(|key| tokio::spawn(pool.hold(key, gate.clone()).into_future()))
        .collect();
    gate.entered().await;
    gate.entered().await;
    t.settle().await;
    let status = pool.pool_status().unwrap();
    assert_eq!((status.size, status.live, status.min, status.max), (2, 2, 2, 2));
    let mut queues: Vec<_> = status
        .members
        .iter()
        .map(|member| (member.busy, member.queued, member.status))
        .collect();
    queues.sort_by_key(|&(_, queued, _)| queued);
    assert_eq!(queues, [(true, 1, Status::Running), (true, 2, Status::Running)]);
    gate.open();
    for hold in holds {
        hold.await.unwrap().unwrap();
    }
    let status = pool.pool_status().unwrap();
    assert!(status.members.iter().all(|member| !member.busy && member.queued == 0));
}

#[tokio::test]
#[should_panic(expected = "a pool routed by key has a fixed size")]
async fn a_pool_routed_by_key_cannot_resize() {
    let t = TestSystem::new();
    let _ = jobs(&t, Pool::new().min(1).max(2).routing(by_job_key()));
}

#[tokio::test]
async fn by_key_calls_go_straight_to_their_member() {
    let t = TestSystem::new();
    let (pool, _) = jobs(&t, Pool::new().size(2).routing(by_job_key()));
    let gate = Gate::new();
    let held = tokio::spawn(pool.hold(4, gate.clone()).into_future());
    gate.entered().await;
    for seq in 0..5 {
        pool.job(4, seq, 0).send().unwrap();
    }
    // Not through the pool's mailbox: queued at the key's member at once.
    assert_eq!(pool.queued(), 0);
    let status = pool.pool_status().unwrap();
    let queues: Vec<_> = status.members.iter().map(|member| member.queued).collect();
    assert_eq!(queues, [5, 0]);
    gate.open();
    assert_eq!(held.await.unwrap().unwrap(), "Job[0]");
}
