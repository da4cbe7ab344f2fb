//! No caller ever hangs: each path that once left a caller waiting for
//! ever, a zombie process or a stalled subtree, on virtual time.
//!
//! Every ask here that used to hang carries a generous `.timeout`, so that
//! a regression fails the test with `Timeout` instead of hanging it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use phyx::prelude::*;
use phyx::{CallError, SendError, SpawnOptions, Status, StopReason, System, event::EventKind};
use phyx_testkit::TestSystem;

const LONG: Duration = Duration::from_secs(3600);

/// A process that turns on itself in every way a handler can.
#[derive(Default)]
struct Narcissus {
    value: u64,
}

#[process(mailbox = 1)]
impl Narcissus {
    #[public]
    fn get(&self) -> u64 {
        self.value
    }

    #[public]
    async fn ask_myself(&self, ctx: &mut Ctx<Self>) -> Result<u64, CallError> {
        ctx.myself().get().await
    }

    /// Fills its own mailbox (capacity 1), then waits for room in it.
    #[public]
    async fn wait_for_room_in_my_mailbox(&self, ctx: &mut Ctx<Self>) -> Result<(), SendError> {
        ctx.myself().get().send()?;
        ctx.myself().get().send_wait().await
    }

    #[public]
    async fn stop_myself(&self, ctx: &mut Ctx<Self>) -> &'static str {
        Handle::stop(&ctx.myself()).await;
        "returned"
    }
}

#[tokio::test]
async fn a_process_asking_itself_fails_at_once_and_shutdown_is_not_held_up() {
    let t = TestSystem::new();
    let narcissus = t.system().spawn(Narcissus::default);
    let error = narcissus.ask_myself().timeout(LONG).await.unwrap().unwrap_err();
    assert!(matches!(error, CallError::SelfCall { method: "get", .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        "call to `get` on process `Narcissus` failed: a process cannot ask itself (it would wait for itself); \
         call the method directly or tell it with `.send()`"
    );
    assert_eq!(t.elapsed(), Duration::ZERO);
    t.shutdown().await;
    assert_eq!(t.elapsed(), Duration::ZERO, "shutdown waited for a stuck handler");
}

#[tokio::test]
async fn a_process_waiting_for_room_in_its_own_mailbox_is_refused_at_once() {
    let t = TestSystem::new();
    let narcissus = t.system().spawn(Narcissus::default);
    let refused = narcissus.wait_for_room_in_my_mailbox().timeout(LONG).await.unwrap();
    assert!(matches!(refused, Err(SendError::MailboxFull { .. })), "{refused:?}");
    assert_eq!(t.elapsed(), Duration::ZERO);
}

#[tokio::test]
async fn a_process_stopping_itself_through_its_handle_is_not_held_up() {
    let t = TestSystem::new();
    let narcissus = t.system().spawn(Narcissus::default);
    assert_eq!(narcissus.stop_myself().timeout(LONG).await, Ok("returned"));
    t.settle().await;
    assert_eq!(narcissus.status(), Status::Stopped);
    assert_eq!(t.elapsed(), Duration::ZERO, "the stop waited out the shutdown timeout");
}

/// A start hook that asks its own process, which is not serving yet.
#[derive(Default)]
struct EarlyBird {
    seen: Option<Result<u64, String>>,
}

#[process]
impl EarlyBird {
    #[on_start]
    async fn start(&mut self, ctx: &mut Ctx<Self>) {
        self.seen = Some(ctx.myself().seen_len().await.map_err(|error| error.to_string()));
    }

    #[public]
    fn seen_len(&self) -> u64 {
        0
    }

    #[public]
    fn seen(&self) -> Option<Result<u64, String>> {
        self.seen.clone()
    }
}

#[tokio::test]
async fn a_start_hook_asking_its_own_process_fails_at_once() {
    let t = TestSystem::new();
    let bird = t.system().spawn(EarlyBird::default);
    let seen = bird.seen().timeout(LONG).await.unwrap().unwrap();
    assert!(seen.unwrap_err().contains("cannot ask itself"));
    assert_eq!(t.elapsed(), Duration::ZERO);
}

/// Slow to answer; panics when asked to.
#[derive(Default)]
struct Fetcher;

#[process]
impl Fetcher {
    #[public]
    async fn fetch(&self, ctx: &mut Ctx<Self>, fail: bool) -> u64 {
        ctx.sleep(Duration::from_millis(10)).await;
        assert!(!fail, "fetcher failed");
        7
    }
}

/// Answers by asking the fetcher.
#[derive(Default)]
struct Cache;

#[process]
impl Cache {
    #[public]
    async fn get(&self, fetcher: FetcherRef) -> Result<u64, CallError> {
        fetcher.fetch(false).await
    }
}

struct RestForOne;

#[supervisor(strategy = rest_for_one, max_restarts = 10, within = "1m")]
impl RestForOne {
    #[child(backoff(initial = "100ms"))]
    fn fetcher(&self) -> Fetcher {
        Fetcher
    }

    #[child(backoff(initial = "100ms"))]
    fn cache(&self) -> Cache {
        Cache
    }
}

struct OneForAll;

#[supervisor(strategy = one_for_all, max_restarts = 10, within = "1m")]
impl OneForAll {
    // The cache first: a group restart takes down siblings started before
    // the failed child too.
    #[child(backoff(initial = "100ms"))]
    fn cache(&self) -> Cache {
        Cache
    }

    #[child(backoff(initial = "100ms"))]
    fn fetcher(&self) -> Fetcher {
        Fetcher
    }
}

/// The fetcher panics while the cache is asking it for the next value: the
/// cache is taken down with it, and the group restarts after its backoff,
/// not after the cache's 5 s shutdown timeout.
async fn group_restart_does_not_wait_for_a_sibling_blocked_on_the_failed_child(
    t: &TestSystem,
    fetcher: FetcherRef,
    cache: CacheRef,
) {
    fetcher.fetch(true).send().unwrap();
    let asking = tokio::spawn(cache.get(fetcher.clone()).timeout(LONG).into_future());
    t.advance(Duration::from_millis(10)).await;
    // The cache's handler, cancelled by the group restart, never replied.
    let error = asking.await.unwrap().unwrap_err();
    assert!(matches!(error, CallError::Stopped { .. }), "{error:?}");
    let restarts = t.events().restarts_of("fetcher");
    assert_eq!(restarts.len(), 1);
    assert_eq!(restarts[0].at, Duration::from_millis(10));
    assert_eq!(restarts[0].delay, Duration::from_millis(100));
    t.advance(Duration::from_millis(100)).await;
    let started = t
        .events()
        .of("cache")
        .filter(|recorded| matches!(recorded.event.kind, EventKind::Started))
        .all()
        .iter()
        .map(|recorded| recorded.at)
        .collect::<Vec<_>>();
    assert_eq!(started, [Duration::ZERO, Duration::from_millis(110)]);
    // The ask the cancelled handler left queued at the fetcher is handled by
    // the new instance; the group works again.
    assert_eq!(cache.get(fetcher).timeout(LONG).await, Ok(Ok(7)));
    assert_eq!(t.elapsed(), Duration::from_millis(130));
}

#[tokio::test]
async fn a_rest_for_one_restart_does_not_wait_out_a_sibling_blocked_on_the_failed_child() {
    let t = TestSystem::new();
    let group = t.system().spawn(|| RestForOne);
    group_restart_does_not_wait_for_a_sibling_blocked_on_the_failed_child(&t, group.fetcher(), group.cache()).await;
}

#[tokio::test]
async fn a_one_for_all_restart_does_not_wait_out_a_sibling_blocked_on_the_failed_child() {
    let t = TestSystem::new();
    let group = t.system().spawn(|| OneForAll);
    group_restart_does_not_wait_for_a_sibling_blocked_on_the_failed_child(&t, group.fetcher(), group.cache()).await;
}

/// A pool member that never finishes, or crashes for good, on demand.
struct Member {
    crashes: Arc<AtomicU32>,
}

#[process]
impl Member {
    #[public]
    async fn hang(&self) {
        std::future::pending::<()>().await;
    }

    #[public]
    fn work(&self, ctx: &mut Ctx<Self>) -> String {
        ctx.name().to_owned()
    }

    #[public]
    fn crash(&self) {
        self.crashes.fetch_add(1, Ordering::SeqCst);
        panic!("member crashed");
    }
}

fn member() -> Member {
    Member {
        crashes: Arc::new(AtomicU32::new(0)),
    }
}

#[tokio::test]
async fn a_pool_of_stuck_members_still_shuts_down_within_their_shutdown_timeout() {
    let t = TestSystem::new();
    let options = SpawnOptions::new().mailbox(1).shutdown_timeout(Duration::from_secs(1));
    let pool: MemberRef = t.system().pool_with(1, member, options);
    // One in the member's handler, one queued at the member, one held by
    // the router waiting for room.
    let asks: Vec<_> = (0..3)
        .map(|_| tokio::spawn(pool.hang().timeout(LONG).into_future()))
        .collect();
    t.settle().await;
    t.shutdown().await;
    assert_eq!(
        t.elapsed(),
        Duration::from_secs(1),
        "the member's shutdown timeout, no more"
    );
    for ask in asks {
        let error = ask.await.unwrap().unwrap_err();
        assert!(matches!(error, CallError::Stopped { .. }), "{error:?}");
    }
    assert_eq!(pool.status(), Status::Stopped);
}

#[tokio::test]
async fn stopping_a_pool_of_stuck_members_returns_within_their_shutdown_timeout() {
    let t = TestSystem::new();
    let options = SpawnOptions::new().mailbox(1).shutdown_timeout(Duration::from_secs(1));
    let pool: MemberRef = t.system().pool_with(2, member, options);
    let asks: Vec<_> = (0..6)
        .map(|_| tokio::spawn(pool.hang().timeout(LONG).into_future()))
        .collect();
    t.settle().await;
    Handle::stop(&pool).await;
    assert_eq!(
        t.elapsed(),
        Duration::from_secs(2),
        "two members, stopped one after the other"
    );
    for ask in asks {
        assert!(matches!(ask.await.unwrap(), Err(CallError::Stopped { .. })));
    }
}

#[tokio::test]
async fn a_pool_routes_to_live_members_only() {
    let t = TestSystem::new();
    let options = SpawnOptions::new().max_restarts(0, Duration::from_secs(60));
    let pool: MemberRef = t.system().pool_with(4, member, options);
    let sizes = |pool: &MemberRef| pool.pool_status().map(|status| (status.size, status.live));
    assert_eq!(sizes(&pool), Some((4, 4)));
    assert!(matches!(pool.crash().await, Err(CallError::Panicked { .. })));
    t.settle().await;
    assert_eq!(sizes(&pool), Some((4, 3)));
    for _ in 0..100 {
        assert!(pool.work().timeout(LONG).await.is_ok());
    }
    let concurrent: Vec<_> = (0..800)
        .map(|_| tokio::spawn(pool.work().timeout(LONG).into_future()))
        .collect();
    for ask in concurrent {
        assert!(ask.await.unwrap().is_ok());
    }
    // The last members go; then the pool fails at once.
    for live in (0..3).rev() {
        assert!(matches!(pool.crash().await, Err(CallError::Panicked { .. })));
        t.settle().await;
        assert_eq!(sizes(&pool), Some((4, live)));
    }
    assert_eq!(pool.status(), Status::Stopped);
    assert!(matches!(pool.work().await, Err(CallError::Stopped { .. })));
    assert_eq!(t.elapsed(), Duration::ZERO);
    assert!(matches!(
        &t.events().stops_of("Member")[..],
        [(_, StopReason::Escalated { reason })] if &**reason == "all 4 members of the pool stopped for good"
    ));
}

#[tokio::test]
async fn a_plain_process_has_no_pool_status() {
    let t = TestSystem::new();
    let process = t.system().spawn(member);
    assert_eq!(process.pool_status(), None);
}

/// Crashes whenever asked, restarting at once.
#[derive(Default)]
struct Phoenix;

#[process(backoff(initial = "0ms"), max_restarts = 5000, within = "1h")]
impl Phoenix {
    #[public]
    fn burn(&self) {
        panic!("burned");
    }
}

#[tokio::test]
async fn a_zero_backoff_stays_zero_after_a_thousand_restarts() {
    let t = TestSystem::new();
    let phoenix = t.system().spawn(|| Phoenix);
    for _ in 0..1100 {
        assert!(matches!(phoenix.burn().await, Err(CallError::Panicked { .. })));
    }
    t.settle().await;
    let restarts = t.events().restarts_of("Phoenix");
    assert_eq!(restarts.len(), 1100);
    assert!(
        restarts.iter().all(|restart| restart.delay.is_zero()),
        "some restart waited"
    );
    assert_eq!(t.elapsed(), Duration::ZERO);
    assert_eq!(phoenix.status(), Status::Running);
}

/// Panics when dropped: a state holding a client whose drop panics.
struct Grenade {
    drops: Arc<AtomicU32>,
}

impl Drop for Grenade {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
        panic!("state exploded on drop");
    }
}

#[process(backoff(initial = "0ms"))]
impl Grenade {
    #[public]
    fn ping(&self) -> u32 {
        self.drops.load(Ordering::SeqCst)
    }

    #[public]
    fn fail(&self) {
        panic!("handler failed");
    }

    #[public]
    fn quit(&self, ctx: &mut Ctx<Self>) {
        ctx.stop();
    }
}

fn grenade(drops: &Arc<AtomicU32>) -> impl Fn() -> Grenade + Send + Sync + 'static {
    let drops = drops.clone();
    move || Grenade { drops: drops.clone() }
}

#[tokio::test]
async fn a_state_whose_drop_panics_is_a_crash_not_a_zombie() {
    let t = TestSystem::new();
    let drops = Arc::new(AtomicU32::new(0));
    let process = t.system().spawn(grenade(&drops));
    // A crash drops the state, whose drop panics too: still one crash.
    assert!(matches!(process.fail().await, Err(CallError::Panicked { .. })));
    assert_eq!(process.ping().timeout(LONG).await, Ok(1));
    // A normal stop whose drop panics is a crash, and a permanent process
    // restarts after a crash.
    assert_eq!(process.quit().timeout(LONG).await, Ok(()));
    assert_eq!(process.ping().timeout(LONG).await, Ok(2));
    let panics = t.events().panics_of("Grenade");
    assert_eq!(
        panics.iter().map(|panic| panic.message.as_str()).collect::<Vec<_>>(),
        ["handler failed", "state exploded on drop", "state exploded on drop"]
    );
    // Shutdown drops it a last time, and finishes.
    t.shutdown().await;
    assert_eq!(process.status(), Status::Stopped);
    assert_eq!(drops.load(Ordering::SeqCst), 3);
    assert!(matches!(process.ping().await, Err(CallError::Stopped { .. })));
    assert_eq!(t.elapsed(), Duration::ZERO);
}

/// A panic payload whose own drop panics.
struct Bomb;

impl Drop for Bomb {
    fn drop(&mut self) {
        panic!("the payload exploded on drop");
    }
}

/// An argument whose drop panics.
struct Mine;

impl Drop for Mine {
    fn drop(&mut self) {
        panic!("the argument exploded on drop");
    }
}

/// A reply whose drop panics.
#[derive(Debug)]
struct Landmine;

impl Drop for Landmine {
    fn drop(&mut self) {
        panic!("the reply exploded on drop");
    }
}

#[derive(Default)]
struct Sapper;

#[process(backoff(initial = "0ms"), max_restarts = 100, within = "1m")]
impl Sapper {
    #[public]
    fn throw_bomb(&self) {
        std::panic::panic_any(Bomb);
    }

    #[public]
    async fn hold(&self, ctx: &mut Ctx<Self>, mine: Mine, delay: Duration) {
        ctx.sleep(delay).await;
        std::mem::forget(mine);
    }

    #[public]
    async fn late_landmine(&self, ctx: &mut Ctx<Self>) -> Landmine {
        ctx.sleep(Duration::from_secs(1)).await;
        Landmine
    }

    #[public]
    fn ping(&self) -> &'static str {
        "pong"
    }
}

#[tokio::test]
async fn a_panic_payload_whose_drop_panics_is_one_crash() {
    let t = TestSystem::new();
    let sapper = t.system().spawn(Sapper::default);
    let error = sapper.throw_bomb().await.unwrap_err();
    assert!(
        matches!(&error, CallError::Panicked { message, .. } if &**message == "panic with a non-string payload"),
        "{error:?}"
    );
    assert_eq!(sapper.ping().timeout(LONG).await, Ok("pong"));
    assert_eq!(sapper.status(), Status::Running);
    t.shutdown().await;
    assert_eq!(sapper.status(), Status::Stopped);
}

#[tokio::test]
async fn a_reply_whose_drop_panics_after_its_caller_left_is_a_crash() {
    let t = TestSystem::new();
    let sapper = t.system().spawn(Sapper::default);
    let gave_up = sapper.late_landmine().timeout(Duration::from_millis(10)).await;
    assert!(matches!(gave_up, Err(CallError::Timeout { .. })));
    t.advance(Duration::from_secs(1)).await;
    assert_eq!(sapper.ping().timeout(LONG).await, Ok("pong"));
    assert_eq!(t.events().panics_of("Sapper")[0].message, "the reply exploded on drop");
    t.shutdown().await;
    assert_eq!(sapper.status(), Status::Stopped);
}

#[tokio::test]
async fn messages_whose_drop_panics_do_not_stop_a_shutdown() {
    let t = TestSystem::new();
    let sapper = t.system().spawn(Sapper::default);
    // One in the handler, forgotten there; two queued, dropped at shutdown.
    for _ in 0..3 {
        sapper.hold(Mine, Duration::from_secs(1)).send().unwrap();
    }
    t.settle().await;
    t.shutdown().await;
    assert_eq!(sapper.status(), Status::Stopped);
    assert_eq!(t.elapsed(), Duration::from_secs(1));
}

/// Shuts the whole system down from one of its handlers.
struct Janitor {
    system: System,
}

#[process]
impl Janitor {
    #[public]
    async fn close_everything(&self) -> &'static str {
        self.system.shutdown().await;
        "started"
    }
}

#[tokio::test]
async fn a_shutdown_started_inside_a_handler_stops_the_whole_system() {
    let t = TestSystem::new();
    let early = t.system().spawn(member);
    let janitor = t.system().spawn({
        let system = t.system().clone();
        move || Janitor { system: system.clone() }
    });
    let late = t.system().spawn(member);
    assert_eq!(janitor.close_everything().timeout(LONG).await, Ok("started"));
    t.settle().await;
    assert!(t.system().is_shut_down());
    for status in [early.status(), janitor.status(), late.status()] {
        assert_eq!(status, Status::Stopped);
    }
    assert!(matches!(early.work().await, Err(CallError::Stopped { .. })));
    assert_eq!(
        t.elapsed(),
        Duration::ZERO,
        "the janitor's own shutdown timeout was waited out"
    );
}

#[tokio::test]
async fn a_shutdown_whose_caller_gives_up_still_runs_to_the_end() {
    let t = TestSystem::new();
    let options = SpawnOptions::new().shutdown_timeout(Duration::from_secs(1));
    let stuck = t.system().spawn_with(member, options);
    let after = t.system().spawn(member);
    let _hanging = tokio::spawn(stuck.hang().into_future());
    t.settle().await;
    // Polled once, the shutdown starts stopping `after`; then its caller
    // leaves.
    let mut shutdown = Box::pin(t.system().shutdown());
    std::future::poll_fn(|cx| {
        assert!(shutdown.as_mut().poll(cx).is_pending());
        std::task::Poll::Ready(())
    })
    .await;
    drop(shutdown);
    t.advance(Duration::from_secs(1)).await;
    assert_eq!((after.status(), stuck.status()), (Status::Stopped, Status::Stopped));
}

#[tokio::test(start_paused = true)]
async fn dropping_the_last_system_handle_stops_its_processes() {
    let system = System::builder().build();
    let worker: MemberRef = system.spawn(member);
    let pool: MemberRef = system.pool(2, member);
    assert!(worker.work().await.is_ok());
    drop(system);
    // Paused time moves only once every task is idle: the shutdown has run.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!((worker.status(), pool.status()), (Status::Stopped, Status::Stopped));
    assert!(matches!(worker.work().await, Err(CallError::Stopped { .. })));
}

/// Two children that can be crashed and stopped.
struct Pair;

#[supervisor(strategy = one_for_all, max_restarts = 10, within = "1m")]
impl Pair {
    #[child(backoff(initial = "100ms"))]
    fn first(&self) -> Member {
        member()
    }

    #[child(backoff(initial = "100ms"))]
    fn second(&self) -> Member {
        member()
    }
}

#[tokio::test]
async fn a_child_stopped_from_outside_does_not_hold_up_its_supervisors_next_group_restart() {
    let t = TestSystem::new();
    let pair = t.system().spawn(|| Pair);
    Handle::stop(&pair.second()).await;
    assert!(matches!(pair.first().crash().await, Err(CallError::Panicked { .. })));
    t.advance(Duration::from_millis(100)).await;
    assert_eq!(pair.first().work().timeout(LONG).await.as_deref(), Ok("first"));
    assert_eq!(pair.second().status(), Status::Stopped);
    assert_eq!(t.elapsed(), Duration::from_millis(100));
}

/// A supervisor with a supervisor among its children.
struct Outer;

#[supervisor]
impl Outer {
    #[child]
    fn inner(&self) -> Pair {
        Pair
    }
}

#[tokio::test]
async fn a_nested_supervisor_that_never_started_ends_its_children() {
    let t = TestSystem::new();
    t.system().shutdown().await;
    let outer = t.system().spawn(|| Outer);
    t.settle().await;
    let leaf = outer.inner().first();
    assert_eq!(leaf.status(), Status::Stopped);
    assert!(matches!(
        leaf.work().timeout(LONG).await,
        Err(CallError::Stopped { .. })
    ));
    assert!(leaf.work().send().is_err());
}

/// Holds at a gate, then panics or returns.
struct Holder;

#[process]
impl Holder {
    #[public]
    async fn hold(&self, gate: phyx_tests::Gate, panic: bool) {
        gate.pass().await;
        assert!(!panic, "the holder gave up");
    }

    #[public]
    fn work(&self) -> u32 {
        1
    }
}

#[tokio::test]
async fn messages_queued_at_a_pool_member_that_stops_for_good_go_to_the_others() {
    let t = TestSystem::new();
    let options = SpawnOptions::new().restart(phyx::Restart::Temporary);
    let pool: HolderRef = t.system().pool_with(2, || Holder, options);
    let (doomed, steady) = (phyx_tests::Gate::new(), phyx_tests::Gate::new());
    pool.hold(doomed.clone(), true).send().unwrap();
    doomed.entered().await;
    pool.hold(steady.clone(), false).send().unwrap();
    steady.entered().await;
    // Both members busy: the works queue at both.
    let works: Vec<_> = (0..4)
        .map(|_| tokio::spawn(pool.work().timeout(LONG).into_future()))
        .collect();
    t.settle().await;
    doomed.open();
    t.settle().await;
    assert_eq!(pool.pool_status().map(|status| status.live), Some(1));
    steady.open();
    for work in works {
        assert_eq!(work.await.unwrap(), Ok(1));
    }
}

#[tokio::test]
async fn a_crash_injected_into_a_pool_does_not_stop_it() {
    let t = TestSystem::new();
    let pool: HolderRef = t.system().pool(2, || Holder);
    t.crash(&pool, "power cut");
    t.settle().await;
    assert_eq!(pool.status(), Status::Running);
    assert_eq!(pool.work().timeout(LONG).await, Ok(1));
}

#[tokio::test]
async fn a_resizable_pool_of_stuck_members_still_shuts_down_within_their_shutdown_timeout() {
    let t = TestSystem::new();
    let options = SpawnOptions::new().mailbox(1).shutdown_timeout(Duration::from_secs(1));
    let pool: MemberRef = t
        .system()
        .spawn_pool(member, phyx::pool::Pool::new().min(1).max(3).options(options));
    // Three members grown, each stuck with one queued; one held by the
    // router waiting for room, one in the pool's mailbox.
    let asks: Vec<_> = (0..8)
        .map(|_| tokio::spawn(pool.hang().timeout(LONG).into_future()))
        .collect();
    t.settle().await;
    assert_eq!(pool.pool_status().map(|status| status.size), Some(3));
    t.shutdown().await;
    assert_eq!(
        t.elapsed(),
        Duration::from_secs(3),
        "three members, stopped one after the other"
    );
    for ask in asks {
        assert!(matches!(ask.await.unwrap(), Err(CallError::Stopped { .. })));
    }
    assert_eq!(pool.status(), Status::Stopped);
}

#[tokio::test]
async fn callers_waiting_for_room_at_a_stuck_member_by_key_hear_of_the_stop() {
    let t = TestSystem::new();
    let options = SpawnOptions::new().mailbox(1).shutdown_timeout(Duration::from_secs(1));
    let by_method = phyx::pool::Routing::by_key(|message: &MemberMsg| match message {
        MemberMsg::Hang { .. } => Some(0),
        _ => None,
    });
    let pool: MemberRef = t.system().spawn_pool(
        member,
        phyx::pool::Pool::new().size(2).routing(by_method).options(options),
    );
    // One in the first member's handler, one queued there, two callers
    // waiting for room in its mailbox.
    let asks: Vec<_> = (0..4)
        .map(|_| tokio::spawn(pool.hang().timeout(LONG).into_future()))
        .collect();
    t.settle().await;
    assert_eq!(
        pool.work().timeout(LONG).await.unwrap(),
        "Member[1]",
        "unkeyed: the idle one"
    );
    Handle::stop(&pool).await;
    assert_eq!(
        t.elapsed(),
        Duration::from_secs(1),
        "the stuck member's shutdown timeout"
    );
    for ask in asks {
        assert!(matches!(ask.await.unwrap(), Err(CallError::Stopped { .. })));
    }
}
