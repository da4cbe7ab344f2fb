//! Regression tests for the runtime bugs this soak found after the first
//! round of fixes, each a minimal program on the test kit.
//!
//! `recycle_during_restart_backoff` and
//! `recycle_before_the_restarted_instance_runs` (class `group_overlap`;
//! soak seeds 10400025621162216492, 6463712571822946016,
//! 14741517862091397343, 4848343296767984947, 11594221489664168348): a
//! group restart recycled a sibling that had just been told to restart
//! (waiting out its backoff, or not yet running its next instance); the
//! next instance withdrew the recycle's wake-up and served on without
//! reporting, so the group waited for it forever and calls to the crashed
//! child hung. Now a child recycled before its next instance reports at
//! once, and its backoff ends at the recycle.
//!
//! `requeue_into_a_full_pool_mailbox` (class `pool_requeue`; soak seeds
//! 11742670628323695998, 3197142410779278816, 17138104724465360601): a
//! pool member that stopped for good gave its queue back to a full pool
//! mailbox, which refused it, and the messages were lost with no event.
//! Now the queue goes back past the pool's capacity (it was accepted
//! once, and the member's mailbox bounds it).

use std::time::Duration;

use phyx::Status;
use phyx::prelude::*;
use phyx_testkit::TestSystem;

#[derive(Default)]
struct Job;

#[process]
impl Job {
    #[public]
    fn work(&self) -> u32 {
        1
    }
}

#[derive(Clone)]
struct Pair;

#[supervisor(strategy = rest_for_one)]
impl Pair {
    #[child(backoff(initial = "10ms", max = "10ms"))]
    fn a(&self) -> Job {
        Job
    }

    #[child(backoff(initial = "10ms", max = "10ms"))]
    fn b(&self) -> Job {
        Job
    }
}

#[tokio::test]
async fn recycle_during_restart_backoff() {
    let t = TestSystem::new();
    let pair = t.system().spawn(|| Pair);
    t.settle().await;
    let (a, b) = (pair.a(), pair.b());
    t.crash(&b, "b crashes");
    t.settle().await;
    assert_eq!(b.status(), Status::Restarting, "b waits out its 10 ms backoff");
    // rest_for_one: a's crash recycles b (still restarting) and restarts both.
    t.crash(&a, "a crashes");
    t.advance(Duration::from_secs(1)).await;
    let reply = a.work().timeout(Duration::from_secs(1)).await;
    assert!(
        matches!(reply, Ok(1)),
        "{reply:?}: a is {:?} (parked for a group restart that waits for b), b is {:?}",
        a.status(),
        b.status()
    );
    t.shutdown().await;
}

#[derive(Clone)]
struct QuickPair;

#[supervisor(strategy = rest_for_one)]
impl QuickPair {
    #[child(backoff(initial = "0ms", max = "0ms"))]
    fn a(&self) -> Job {
        Job
    }

    #[child(backoff(initial = "0ms", max = "0ms"))]
    fn b(&self) -> Job {
        Job
    }
}

/// The same with no backoff at all: b is told to restart, and recycled
/// before its task has run its next instance.
#[tokio::test]
async fn recycle_before_the_restarted_instance_runs() {
    let t = TestSystem::new();
    let pair = t.system().spawn(|| QuickPair);
    t.settle().await;
    let (a, b) = (pair.a(), pair.b());
    // b's exit reaches the supervisor first: b is told to restart at once;
    // a's, handled next without b having run, recycles b.
    t.crash(&b, "b crashes");
    t.crash(&a, "a crashes");
    t.advance(Duration::from_secs(1)).await;
    let reply = a.work().timeout(Duration::from_secs(1)).await;
    assert!(
        matches!(reply, Ok(1)),
        "{reply:?}: a is {:?}, b is {:?}",
        a.status(),
        b.status()
    );
    t.shutdown().await;
}

#[derive(Default)]
struct Member;

#[process]
impl Member {
    #[public]
    fn work(&self) -> u32 {
        1
    }

    #[public]
    async fn busy(&self, ctx: &mut Ctx<Self>, for_: Duration) {
        ctx.sleep(for_).await;
    }

    #[public]
    async fn quit_after(&self, ctx: &mut Ctx<Self>, after: Duration) {
        ctx.sleep(after).await;
        ctx.stop();
    }
}

/// A pool member that stops for good gives its queue back to the pool;
/// with the pool's mailbox full, the message is dropped with no event and
/// its caller told `Stopped`, by a pool that lives on.
#[tokio::test]
async fn requeue_into_a_full_pool_mailbox() {
    let t = TestSystem::new();
    let options = phyx::SpawnOptions::new().mailbox(1).restart(phyx::Restart::Transient);
    let pool = t.system().pool_with(2, || Member, options);
    t.settle().await;
    // One member stops for good in 100 ms; the other is busy for a second.
    pool.quit_after(Duration::from_millis(100)).send().unwrap();
    t.settle().await;
    pool.busy(Duration::from_secs(1)).send().unwrap();
    t.settle().await;
    // One queued at each member, one held by the router, one in the
    // pool's mailbox: all full.
    let mut asks = Vec::new();
    for _ in 0..4 {
        let call = pool.work();
        asks.push(tokio::spawn(async move { call.await }));
        t.settle().await;
    }
    t.advance(Duration::from_secs(3)).await;
    assert_eq!(Handle::pool_status(&pool).map(|status| status.live), Some(1));
    assert_eq!(pool.status(), Status::Running);
    for (n, ask) in asks.into_iter().enumerate() {
        let reply = ask.await.unwrap();
        assert!(matches!(reply, Ok(1)), "ask {n}: {reply:?} from a running pool");
    }
    let events = t.events();
    let lost = events.all().iter().filter(|recorded| {
        matches!(
            recorded.event.kind,
            phyx::event::EventKind::MessageDropped { .. } | phyx::event::EventKind::MessageRejected { .. }
        )
    });
    assert_eq!(lost.count(), 0, "no message was dropped or rejected");
    t.shutdown().await;
}
