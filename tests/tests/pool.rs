//! Pools: one handle, several members, each call to the least loaded one.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use phyx::prelude::*;
use phyx::{CallError, Status};
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
