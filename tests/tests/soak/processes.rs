//! The process under test ([`Worker`]), the supervisors of it, and what
//! its instances share with the test: the [`World`], one [`Target`] per
//! numbered process, the [`Token`] each tell carries and the [`Mark`]
//! each ask carries.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use phyx::prelude::*;
use phyx::{CallError, Overflow, Status};
use phyx_testkit::VirtualClock;

use crate::model::{Sent, check_error, check_refusal};
use crate::program::Kind;
use crate::util::lock;

/// The system, for handlers that shut it down, the clock, and what
/// handlers found wrong.
pub(crate) struct World {
    pub(crate) system: Mutex<Option<System>>,
    clock: VirtualClock,
    violations: Mutex<Vec<String>>,
}

impl World {
    pub(crate) fn new(system: System, clock: VirtualClock) -> Self {
        Self {
            system: Mutex::new(Some(system)),
            clock,
            violations: Mutex::new(Vec::new()),
        }
    }

    fn system(&self) -> Option<System> {
        lock(&self.system).clone()
    }

    /// Whether a shutdown has started.
    pub(crate) fn is_shut_down(&self) -> bool {
        lock(&self.system).as_ref().is_some_and(System::is_shut_down)
    }

    /// Virtual time since the test system started, as events count it.
    pub(crate) fn elapsed(&self) -> Duration {
        self.clock.elapsed()
    }

    pub(crate) fn violation(&self, what: String) {
        lock(&self.violations).push(what);
    }

    pub(crate) fn take_violations(&self) -> Vec<String> {
        std::mem::take(&mut *lock(&self.violations))
    }
}

/// The fates of one kind of tell to one process.
#[derive(Debug, Default)]
pub(crate) struct Fate {
    pub(crate) accepted: AtomicU64,
    pub(crate) handled: AtomicU64,
    pub(crate) lost_live: AtomicU64,
    pub(crate) lost_stopping: AtomicU64,
    pub(crate) lost_shutdown: AtomicU64,
    /// When tells were lost while the process was `Stopping` with no stop
    /// for good asked of it or of the system: each must be explained by
    /// its stop for good at that instant, or by an eviction.
    pub(crate) unexplained_stopping: Mutex<Vec<Duration>>,
    /// When tells were lost while the process was live, and whether the
    /// system was shutting down then: a pool's router drops the one it
    /// holds as it finds every member gone.
    pub(crate) live_at: Mutex<Vec<(Duration, bool)>>,
}

impl Fate {
    pub(crate) fn get(counter: &AtomicU64) -> u64 {
        counter.load(SeqCst)
    }
}

/// One addressable process: plain, a pool (its router), or a child.
pub(crate) struct Target {
    pub(crate) name: String,
    pub(crate) kind: Kind,
    /// For a pool: its size.
    pub(crate) members: Option<u64>,
    /// The policy of the mailbox its callers reach.
    pub(crate) overflow: Overflow,
    pub(crate) stop_hook: Duration,
    pub(crate) world: Arc<World>,
    pub(crate) handle: Mutex<Option<WorkerRef>>,
    /// `[0]`: tells (`send`, `send_wait`); `[1]`: `send_after`.
    pub(crate) fates: [Fate; 2],
    /// Tells refused as full.
    pub(crate) rejected: AtomicU64,
    /// A stop for good was asked of it: `Handle::stop` (by the test, or by
    /// itself), or of its supervisor.
    stop_asked: AtomicBool,
    /// Instances (by process name: a pool's members differ) that stopped
    /// themselves with `Handle::stop`: they never handle another message.
    stopped_self: Mutex<BTreeSet<String>>,
}

impl Target {
    pub(crate) fn new(
        name: String,
        kind: Kind,
        members: Option<u64>,
        overflow: Overflow,
        stop_hook: Duration,
        world: &Arc<World>,
    ) -> Self {
        Self {
            name,
            kind,
            members,
            overflow,
            stop_hook,
            world: world.clone(),
            handle: Mutex::new(None),
            fates: Default::default(),
            rejected: AtomicU64::new(0),
            stop_asked: AtomicBool::new(false),
            stopped_self: Mutex::new(BTreeSet::new()),
        }
    }

    pub(crate) fn status(&self) -> Option<Status> {
        lock(&self.handle).as_ref().map(Handle::status)
    }

    pub(crate) fn ask_stop(&self) {
        self.stop_asked.store(true, SeqCst);
    }

    /// Whether a stop for good was asked of it, or of the whole system.
    pub(crate) fn stop_for_good_asked(&self) -> bool {
        self.stop_asked.load(SeqCst) || self.world.is_shut_down()
    }
}

/// Travels with each tell. The handler consumes it on entry; destroyed
/// unconsumed after the tell was accepted, it records why.
pub(crate) struct Token(Option<Arc<TokenCell>>);

pub(crate) struct TokenCell {
    target: Arc<Target>,
    later: bool,
    accepted: AtomicBool,
    consumed: AtomicBool,
}

impl Token {
    pub(crate) fn new(target: &Arc<Target>, later: bool) -> (Self, Arc<TokenCell>) {
        let cell = Arc::new(TokenCell {
            target: target.clone(),
            later,
            accepted: AtomicBool::new(false),
            consumed: AtomicBool::new(false),
        });
        (Self(Some(cell.clone())), cell)
    }

    fn consume(&self) {
        if let Some(cell) = &self.0 {
            if !cell.consumed.swap(true, SeqCst) {
                cell.fate().handled.fetch_add(1, SeqCst);
            }
        }
    }
}

impl TokenCell {
    fn fate(&self) -> &Fate {
        &self.target.fates[usize::from(self.later)]
    }

    /// The tell entered the mailbox (or its timer was set).
    pub(crate) fn accept(&self) {
        self.accepted.store(true, SeqCst);
        self.fate().accepted.fetch_add(1, SeqCst);
    }
}

impl Drop for TokenCell {
    fn drop(&mut self) {
        if !self.accepted.load(SeqCst) || self.consumed.load(SeqCst) {
            return;
        }
        let fate = self.fate();
        let world = &self.target.world;
        let counter = match self.target.status() {
            Some(Status::Stopped) => &fate.lost_stopping,
            Some(Status::Stopping) => {
                if !self.target.stop_for_good_asked() {
                    lock(&fate.unexplained_stopping).push(world.elapsed());
                }
                &fate.lost_stopping
            }
            _ => {
                let shut_down = world.is_shut_down();
                lock(&fate.live_at).push((world.elapsed(), shut_down));
                if shut_down {
                    &fate.lost_shutdown
                } else {
                    &fate.lost_live
                }
            }
        };
        counter.fetch_add(1, SeqCst);
    }
}

/// Travels with each ask: its handler sets it on entry and on return, so
/// that a caller told `Stopped` knows whether that handler was cancelled.
pub(crate) struct Mark(Option<Arc<MarkCell>>);

#[derive(Default)]
pub(crate) struct MarkCell {
    entered: AtomicBool,
    returned: AtomicBool,
}

impl Mark {
    pub(crate) fn none() -> Self {
        Self(None)
    }

    pub(crate) fn new() -> (Self, Arc<MarkCell>) {
        let cell = Arc::new(MarkCell::default());
        (Self(Some(cell.clone())), cell)
    }

    fn enter(&self) {
        if let Some(cell) = &self.0 {
            cell.entered.store(true, SeqCst);
        }
    }

    fn leave(&self) {
        if let Some(cell) = &self.0 {
            cell.returned.store(true, SeqCst);
        }
    }
}

impl MarkCell {
    /// The handler started and never returned: cancelled (or panicked).
    pub(crate) fn cancelled(&self) -> bool {
        self.entered.load(SeqCst) && !self.returned.load(SeqCst)
    }
}

pub(crate) struct Worker {
    target: Arc<Target>,
    /// `drop_panic`: the state panics when dropped.
    armed: bool,
}

impl Worker {
    pub(crate) fn new(target: Arc<Target>) -> Self {
        Self { target, armed: false }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if self.armed && !std::thread::panicking() {
            panic!("soak: the state of {} panics in Drop", self.target.name);
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum SyncOp {
    Work,
    Boom,
    Quit,
    Arm,
}

#[derive(Clone)]
pub(crate) enum AsyncOp {
    Slow(Duration),
    BoomAfter(Duration),
    QuitAfter(Duration),
    Hang,
    AskOther {
        peer: WorkerRef,
        peer_target: Arc<Target>,
        timeout: Option<Duration>,
    },
    SelfAsk,
    SelfTellWait,
    StopSelf,
    ShutdownSystem,
}

#[process]
impl Worker {
    #[on_stop]
    async fn stop_hook(&mut self, ctx: &mut Ctx<Self>) {
        let hook = self.target.stop_hook;
        if !hook.is_zero() {
            ctx.sleep(hook).await;
        }
    }

    #[public]
    pub(crate) fn tell_sync(&mut self, ctx: &mut Ctx<Self>, token: Token, op: SyncOp) {
        self.enter(ctx, "tell_sync");
        token.consume();
        self.run_sync(ctx, op);
    }

    #[public]
    pub(crate) fn tell_later(&mut self, ctx: &mut Ctx<Self>, token: Token, op: SyncOp) {
        self.enter(ctx, "tell_later");
        token.consume();
        self.run_sync(ctx, op);
    }

    #[public]
    pub(crate) fn ask_sync(&mut self, ctx: &mut Ctx<Self>, mark: Mark, op: SyncOp) -> u64 {
        self.enter(ctx, "ask_sync");
        mark.enter();
        let reply = self.run_sync(ctx, op);
        mark.leave();
        reply
    }

    #[public]
    pub(crate) async fn tell_async(&mut self, ctx: &mut Ctx<Self>, token: Token, op: AsyncOp) {
        self.enter(ctx, "tell_async");
        token.consume();
        self.run_async(ctx, op).await;
    }

    #[public]
    pub(crate) async fn ask_async(&mut self, ctx: &mut Ctx<Self>, mark: Mark, op: AsyncOp) -> u64 {
        self.enter(ctx, "ask_async");
        mark.enter();
        self.run_async(ctx, op).await;
        mark.leave();
        Fate::get(&self.target.fates[0].handled)
    }
}

impl Worker {
    /// Every handler starts here: an instance that stopped itself for good
    /// handles nothing more.
    fn enter(&self, ctx: &Ctx<Self>, method: &str) {
        if lock(&self.target.stopped_self).contains(ctx.name()) {
            self.target.world.violation(format!(
                "{} handled {method} after it stopped itself with Handle::stop",
                ctx.name()
            ));
        }
    }

    fn run_sync(&mut self, ctx: &mut Ctx<Self>, op: SyncOp) -> u64 {
        match op {
            SyncOp::Work => {}
            SyncOp::Boom => panic!("soak: boom"),
            SyncOp::Quit => ctx.stop(),
            SyncOp::Arm => self.armed = true,
        }
        Fate::get(&self.target.fates[0].handled)
    }

    /// A wait on its own process (or the system) must end at once.
    fn at_once(&self, ctx: &Ctx<Self>, what: &str, took: Duration) {
        if !took.is_zero() {
            self.target.world.violation(format!(
                "{}: {what} awaited in its own handler took {took:?} (must return at once)",
                ctx.name()
            ));
        }
    }

    /// Checks what it did itself (also for a tell, whose caller learns
    /// nothing).
    async fn run_async(&mut self, ctx: &mut Ctx<Self>, op: AsyncOp) {
        let started = ctx.now();
        match op {
            AsyncOp::Slow(duration) => ctx.sleep(duration).await,
            AsyncOp::BoomAfter(duration) => {
                ctx.sleep(duration).await;
                panic!("soak: boom after {duration:?}");
            }
            AsyncOp::QuitAfter(duration) => {
                ctx.sleep(duration).await;
                ctx.stop();
            }
            AsyncOp::Hang => std::future::pending::<()>().await,
            AsyncOp::AskOther {
                peer,
                peer_target,
                timeout,
            } => {
                let (mark, cell) = Mark::new();
                let call = peer.ask_sync(mark, SyncOp::Work);
                let result = match timeout {
                    Some(timeout) => call.timeout(timeout).await,
                    None => call.await,
                };
                let took = ctx.now() - started;
                if let Err(error) = &result {
                    if let Some(wrong) = check_error(error, &peer_target, timeout, false, took, cell.cancelled()) {
                        self.target.world.violation(format!(
                            "{} asking {} from a handler: {wrong}",
                            self.target.name, peer_target.name
                        ));
                    }
                }
            }
            AsyncOp::SelfAsk => {
                let result = ctx.myself().ask_sync(Mark::none(), SyncOp::Work).await;
                let took = ctx.now() - started;
                if !matches!(result, Err(CallError::SelfCall { .. })) || !took.is_zero() {
                    self.target.world.violation(format!(
                        "{}: its ask of its own process gave {result:?} after {took:?} (must fail with SelfCall at \
                         once)",
                        ctx.name()
                    ));
                }
            }
            AsyncOp::SelfTellWait => {
                let (token, cell) = Token::new(&self.target, false);
                let result = ctx.myself().tell_sync(token, SyncOp::Work).send_wait().await;
                self.at_once(ctx, "send_wait to its own process", ctx.now() - started);
                let wrong = match &result {
                    Ok(()) => {
                        cell.accept();
                        None
                    }
                    Err(error) => check_refusal(&self.target, error, Sent::SendWaitToItself),
                };
                if let Some(wrong) = wrong {
                    self.target
                        .world
                        .violation(format!("{}: send_wait to itself: {wrong}", ctx.name()));
                }
            }
            AsyncOp::StopSelf => {
                // A pool member that stops is not its pool stopping.
                if self.target.kind != Kind::Pool {
                    self.target.ask_stop();
                }
                lock(&self.target.stopped_self).insert(ctx.name().to_owned());
                Handle::stop(&ctx.myself()).await;
                self.at_once(ctx, "Handle::stop of its own process", ctx.now() - started);
            }
            AsyncOp::ShutdownSystem => {
                if let Some(system) = self.target.world.system() {
                    system.shutdown().await;
                    self.at_once(ctx, "System::shutdown", ctx.now() - started);
                }
            }
        }
    }
}

/// A worker child as the model sees it; mirrors its `#[child(...)]`.
#[derive(Debug)]
pub(crate) struct ChildSpec {
    pub(crate) name: &'static str,
    pub(crate) overflow: &'static str,
    pub(crate) shutdown: &'static str,
}

/// The children's state: each child's target, by name.
#[derive(Clone)]
pub(crate) struct Kids(pub(crate) Arc<Vec<Arc<Target>>>);

impl Kids {
    fn worker(&self, name: &str) -> Worker {
        let target = self.0.iter().find(|target| target.name == name);
        Worker::new(target.expect("every child has a target").clone())
    }
}

/// A supervisor of workers whose children share one backoff, so that a
/// group restart's delay is every child's own.
macro_rules! worker_supervisor {
    (
        $(#[$doc:meta])*
        $ty:ident($($options:tt)*), backoff($initial:tt, $max:tt) {
            $($child:ident: mailbox = $mailbox:tt, overflow = $overflow:ident, restart = $restart:ident, shutdown = $shutdown:tt;)+
        }
    ) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub(crate) struct $ty {
            pub(crate) kids: Kids,
        }

        #[supervisor($($options)*)]
        impl $ty {
            $(
                #[child(
                    mailbox = $mailbox,
                    overflow = $overflow,
                    restart = $restart,
                    shutdown = $shutdown,
                    backoff(initial = $initial, max = $max)
                )]
                pub(crate) fn $child(&self) -> Worker {
                    self.kids.worker(stringify!($child))
                }
            )+
        }

        impl $ty {
            pub(crate) const CHILDREN: &'static [ChildSpec] = &[$(ChildSpec {
                name: stringify!($child),
                overflow: stringify!($overflow),
                shutdown: $shutdown,
            }),+];
            pub(crate) const BACKOFF: (&'static str, &'static str) = ($initial, $max);
        }
    };
}

worker_supervisor! {
    /// one_for_one at the default intensity (3 within 5 s): easy to exceed.
    Solo(strategy = one_for_one), backoff("50ms", "400ms") {
        solo_a: mailbox = 2, overflow = reject, restart = permanent, shutdown = "200ms";
        solo_b: mailbox = 4, overflow = drop_oldest, restart = transient, shutdown = "100ms";
        solo_c: mailbox = 8, overflow = backpressure, restart = temporary, shutdown = "300ms";
    }
}

worker_supervisor! {
    All(strategy = one_for_all, max_restarts = 8, within = "30s"), backoff("20ms", "1s") {
        all_a: mailbox = 1, overflow = backpressure, restart = permanent, shutdown = "150ms";
        all_b: mailbox = 3, overflow = drop_oldest, restart = permanent, shutdown = "100ms";
        all_c: mailbox = 5, overflow = reject, restart = transient, shutdown = "250ms";
    }
}

worker_supervisor! {
    Rest(strategy = rest_for_one, max_restarts = 8, within = "30s"), backoff("10ms", "80ms") {
        rest_a: mailbox = 2, overflow = drop_oldest, restart = permanent, shutdown = "100ms";
        rest_b: mailbox = 1, overflow = reject, restart = permanent, shutdown = "200ms";
        rest_c: mailbox = 6, overflow = backpressure, restart = temporary, shutdown = "50ms";
    }
}

worker_supervisor! {
    /// The supervisor nested in [`Outer`]; a low intensity escalates.
    Inner(strategy = one_for_all, max_restarts = 2, within = "10s"), backoff("30ms", "300ms") {
        inner_x: mailbox = 2, overflow = reject, restart = permanent, shutdown = "100ms";
        inner_y: mailbox = 3, overflow = backpressure, restart = transient, shutdown = "100ms";
    }
}

worker_supervisor! {
    /// For `sibling_ask`: shutdown timeouts far longer than the backoff.
    StallRest(strategy = rest_for_one, max_restarts = 50, within = "1m"), backoff("10ms", "10ms") {
        stall_rest_a: mailbox = 8, overflow = backpressure, restart = permanent, shutdown = "2s";
        stall_rest_b: mailbox = 8, overflow = backpressure, restart = permanent, shutdown = "2s";
    }
}

worker_supervisor! {
    /// For `sibling_ask`, one_for_all.
    StallAll(strategy = one_for_all, max_restarts = 50, within = "1m"), backoff("10ms", "10ms") {
        stall_all_a: mailbox = 8, overflow = backpressure, restart = permanent, shutdown = "2s";
        stall_all_b: mailbox = 8, overflow = backpressure, restart = permanent, shutdown = "2s";
    }
}

/// rest_for_one over a worker, the nested [`Inner`], and another worker.
#[derive(Clone)]
pub(crate) struct Outer {
    pub(crate) kids: Kids,
}

#[supervisor(strategy = rest_for_one, max_restarts = 4, within = "20s")]
impl Outer {
    #[child(mailbox = 3, overflow = drop_oldest, shutdown = "150ms", backoff(initial = "40ms", max = "500ms"))]
    pub(crate) fn outer_a(&self) -> Worker {
        self.kids.worker("outer_a")
    }

    #[child(backoff(initial = "40ms", max = "500ms"))]
    pub(crate) fn outer_inner(&self) -> Inner {
        Inner {
            kids: self.kids.clone(),
        }
    }

    #[child(
        mailbox = 2,
        overflow = reject,
        restart = transient,
        shutdown = "150ms",
        backoff(initial = "40ms", max = "500ms")
    )]
    pub(crate) fn outer_c(&self) -> Worker {
        self.kids.worker("outer_c")
    }
}

pub(crate) const OUTER_CHILDREN: [ChildSpec; 2] = [
    ChildSpec {
        name: "outer_a",
        overflow: "drop_oldest",
        shutdown: "150ms",
    },
    ChildSpec {
        name: "outer_c",
        overflow: "reject",
        shutdown: "150ms",
    },
];
pub(crate) const OUTER_BACKOFF: (&str, &str) = ("40ms", "500ms");

pub(crate) enum AnySup {
    Solo(SoloRef),
    All(AllRef),
    Rest(RestRef),
    Outer(OuterRef),
    Inner(InnerRef),
    StallRest(StallRestRef),
    StallAll(StallAllRef),
}

macro_rules! with_sup {
    ($sup:expr, $h:ident => $body:expr) => {
        match $sup {
            AnySup::Solo($h) => $body,
            AnySup::All($h) => $body,
            AnySup::Rest($h) => $body,
            AnySup::Outer($h) => $body,
            AnySup::Inner($h) => $body,
            AnySup::StallRest($h) => $body,
            AnySup::StallAll($h) => $body,
        }
    };
}

pub(crate) use with_sup;
