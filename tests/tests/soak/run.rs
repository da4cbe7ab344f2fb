//! Running a program: one op at a time on a fresh test system, each ask,
//! `send_wait`, stop and mid-program shutdown as a task of its own, with
//! the lifecycle checks after every op. `finish.rs` does the rest.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use phyx::prelude::*;
use phyx::{Backoff, Call, CallError, Overflow, SendError, SpawnOptions, Status};
use phyx_testkit::{TestSystem, VirtualClock};
use tokio::task::JoinHandle;

use crate::model::{BackoffSpec, Sent, check_error, check_refusal, stopped_ok};
use crate::processes::{
    All, AnySup, AsyncOp, Inner, Kids, Mark, MarkCell, OUTER_BACKOFF, Outer, Rest, Solo, StallAll, StallRest, SyncOp,
    Target, Token, TokenCell, Worker, WorkerRef, World, with_sup,
};
use crate::program::{Kind, Msg, Op, ProcessSpec, Program, SupKind};
use crate::util::{duration, lock, ms};

/// What a task found wrong, and how long a shutdown it ran took.
#[derive(Default)]
pub(crate) struct Outcome {
    pub(crate) wrong: Vec<String>,
    pub(crate) shutdown_took: Option<Duration>,
}

impl Outcome {
    fn wrong(wrong: Option<String>) -> Self {
        Self {
            wrong: wrong.into_iter().collect(),
            shutdown_took: None,
        }
    }
}

pub(crate) struct Task {
    pub(crate) op: usize,
    /// The process it waits on without a timeout, if any: exempt from
    /// resolving before shutdown if that process may hang.
    pub(crate) waits_on: Option<usize>,
    pub(crate) join: JoinHandle<Outcome>,
}

pub(crate) struct Live {
    pub(crate) handle: WorkerRef,
    pub(crate) target: Arc<Target>,
    seen_stopped: bool,
    reported: bool,
    /// A pool seen stopped with no stop asked of it: all its members must
    /// have stopped for good.
    pub(crate) gave_up: bool,
}

pub(crate) struct Run<'p> {
    pub(crate) program: &'p Program,
    pub(crate) t: TestSystem,
    pub(crate) clock: VirtualClock,
    pub(crate) world: Arc<World>,
    pub(crate) targets: Vec<Live>,
    pub(crate) sups: Vec<AnySup>,
    /// Per supervisor: the numbers of its worker children (a nested one's
    /// too), which its stop stops.
    sup_children: Vec<Vec<usize>>,
    pub(crate) tasks: Vec<Task>,
    pub(crate) backoffs: BTreeMap<String, BackoffSpec>,
    /// The sum over processes of twice their shutdown timeout.
    pub(crate) bound: Duration,
    pub(crate) violations: Vec<String>,
}

enum Built {
    Sync(SyncOp),
    Async(AsyncOp),
}

/// An ask of op `op` to process `to`, as the check of its outcome needs it.
struct AskOf {
    op: usize,
    to: usize,
    timeout: Option<Duration>,
    panics: bool,
    expect_ok: bool,
}

impl<'p> Run<'p> {
    pub(crate) fn new(program: &'p Program) -> Self {
        let t = TestSystem::with_seed(program.seed);
        let world = Arc::new(World::new(t.system().clone(), t.clock().clone()));
        let mut backoffs = BTreeMap::new();
        // Root supervisors restart by phyx's defaults; a nested one by its
        // parent's children's backoff.
        for name in ["Solo", "All", "Rest", "Outer", "StallRest", "StallAll"] {
            backoffs.insert(name.to_owned(), BackoffSpec::of("100ms", "10s"));
        }
        backoffs.insert(
            "outer_inner".to_owned(),
            BackoffSpec::of(OUTER_BACKOFF.0, OUTER_BACKOFF.1),
        );
        Self {
            program,
            clock: t.clock().clone(),
            t,
            world,
            targets: Vec::new(),
            sups: Vec::new(),
            sup_children: Vec::new(),
            tasks: Vec::new(),
            backoffs,
            bound: Duration::ZERO,
            violations: Vec::new(),
        }
    }

    fn adopt(&mut self, handle: WorkerRef, target: Arc<Target>) {
        *lock(&target.handle) = Some(handle.clone());
        self.targets.push(Live {
            handle,
            target,
            seen_stopped: false,
            reported: false,
            gave_up: false,
        });
    }

    fn spawn(&mut self, spec: &ProcessSpec) {
        let index = self.targets.len();
        let name = format!("p{index}");
        let kind = if spec.members.is_some() {
            Kind::Pool
        } else {
            Kind::Plain
        };
        let target = Arc::new(Target::new(
            name.clone(),
            kind,
            spec.members,
            spec.overflow,
            ms(spec.stop_hook_ms),
            &self.world,
        ));
        let backoff = BackoffSpec {
            initial: ms(spec.backoff_ms.0),
            max: ms(spec.backoff_ms.1),
            jitter: spec.jitter,
        };
        let options = SpawnOptions::new()
            .name(&name)
            .mailbox(spec.mailbox)
            .overflow(spec.overflow)
            .restart(spec.restart)
            .backoff(Backoff::exponential(backoff.initial, backoff.max).jitter(spec.jitter))
            .max_restarts(spec.max_restarts.0, ms(spec.max_restarts.1))
            .shutdown_timeout(ms(spec.shutdown_ms));
        let factory = {
            let target = target.clone();
            move || Worker::new(target.clone())
        };
        let handle = match spec.members {
            None => {
                self.backoffs.insert(name, backoff);
                self.bound += 2 * ms(spec.shutdown_ms);
                self.t.system().spawn_with(factory, options)
            }
            Some(members) => {
                for member in 0..members {
                    self.backoffs.insert(format!("{name}[{member}]"), backoff);
                }
                self.bound += 2 * members as u32 * ms(spec.shutdown_ms);
                self.t.system().pool_with(members as usize, factory, options)
            }
        };
        self.adopt(handle, target);
    }

    fn spawn_sup(&mut self, kind: SupKind, stop_hook_ms: &[u64]) {
        let children = kind.children();
        let backoff = match kind {
            SupKind::Solo => Solo::BACKOFF,
            SupKind::All => All::BACKOFF,
            SupKind::Rest => Rest::BACKOFF,
            SupKind::Outer => OUTER_BACKOFF,
            SupKind::StallRest => StallRest::BACKOFF,
            SupKind::StallAll => StallAll::BACKOFF,
        };
        let targets: Vec<Arc<Target>> = children
            .iter()
            .zip(stop_hook_ms)
            .map(|(child, hook)| {
                let overflow = match child.overflow {
                    "reject" => Overflow::Reject,
                    "drop_oldest" => Overflow::DropOldest,
                    _ => Overflow::Backpressure,
                };
                let child_backoff = if child.name.starts_with("inner_") {
                    Inner::BACKOFF
                } else {
                    backoff
                };
                self.backoffs
                    .insert(child.name.to_owned(), BackoffSpec::of(child_backoff.0, child_backoff.1));
                self.bound += 2 * duration(child.shutdown);
                Arc::new(Target::new(
                    child.name.to_owned(),
                    Kind::Child,
                    None,
                    overflow,
                    ms(*hook),
                    &self.world,
                ))
            })
            .collect();
        let kids = Kids(Arc::new(targets.clone()));
        let system = self.t.system();
        let factory = move || kids.clone();
        let (handles, sups): (Vec<WorkerRef>, Vec<AnySup>) = match kind {
            SupKind::Solo => {
                let sup = system.spawn(move || Solo { kids: factory() });
                (vec![sup.solo_a(), sup.solo_b(), sup.solo_c()], vec![AnySup::Solo(sup)])
            }
            SupKind::All => {
                let sup = system.spawn(move || All { kids: factory() });
                (vec![sup.all_a(), sup.all_b(), sup.all_c()], vec![AnySup::All(sup)])
            }
            SupKind::Rest => {
                let sup = system.spawn(move || Rest { kids: factory() });
                (vec![sup.rest_a(), sup.rest_b(), sup.rest_c()], vec![AnySup::Rest(sup)])
            }
            SupKind::Outer => {
                let sup = system.spawn(move || Outer { kids: factory() });
                let inner = sup.outer_inner();
                (
                    vec![sup.outer_a(), inner.inner_x(), inner.inner_y(), sup.outer_c()],
                    vec![AnySup::Outer(sup), AnySup::Inner(inner)],
                )
            }
            SupKind::StallRest => {
                let sup = system.spawn(move || StallRest { kids: factory() });
                (
                    vec![sup.stall_rest_a(), sup.stall_rest_b()],
                    vec![AnySup::StallRest(sup)],
                )
            }
            SupKind::StallAll => {
                let sup = system.spawn(move || StallAll { kids: factory() });
                (vec![sup.stall_all_a(), sup.stall_all_b()], vec![AnySup::StallAll(sup)])
            }
        };
        let first = self.targets.len();
        for (handle, target) in handles.into_iter().zip(targets) {
            self.adopt(handle, target);
        }
        let all: Vec<usize> = (first..self.targets.len()).collect();
        if kind == SupKind::Outer {
            // Outer's, then Inner's (inner_x, inner_y).
            self.sup_children.push(all);
            self.sup_children.push(vec![first + 1, first + 2]);
        } else {
            self.sup_children.push(all);
        }
        self.sups.extend(sups);
    }

    fn build(&self, msg: Msg) -> Built {
        match msg {
            Msg::Work => Built::Sync(SyncOp::Work),
            Msg::Boom => Built::Sync(SyncOp::Boom),
            Msg::Quit => Built::Sync(SyncOp::Quit),
            Msg::Arm => Built::Sync(SyncOp::Arm),
            Msg::Slow(n) => Built::Async(AsyncOp::Slow(ms(n))),
            Msg::BoomAfter(n) => Built::Async(AsyncOp::BoomAfter(ms(n))),
            Msg::QuitAfter(n) => Built::Async(AsyncOp::QuitAfter(ms(n))),
            Msg::Hang => Built::Async(AsyncOp::Hang),
            Msg::AskOther { peer, timeout_ms } => Built::Async(AsyncOp::AskOther {
                peer: self.targets[peer].handle.clone(),
                peer_target: self.targets[peer].target.clone(),
                timeout: timeout_ms.map(ms),
            }),
            Msg::SelfAsk => Built::Async(AsyncOp::SelfAsk),
            Msg::SelfTellWait => Built::Async(AsyncOp::SelfTellWait),
            Msg::StopSelf => Built::Async(AsyncOp::StopSelf),
            Msg::ShutdownSystem => Built::Async(AsyncOp::ShutdownSystem),
        }
    }

    /// The tell of `msg` to `to`, with a token, as a call.
    fn tell_call(&self, to: usize, msg: Msg, later: bool) -> (Call<(), WorkerRef>, Arc<TokenCell>) {
        let live = &self.targets[to];
        let (token, cell) = Token::new(&live.target, later);
        let call = match (self.build(msg), later) {
            (Built::Sync(op), true) => live.handle.tell_later(token, op),
            (Built::Sync(op), false) => live.handle.tell_sync(token, op),
            (Built::Async(op), _) => live.handle.tell_async(token, op),
        };
        (call, cell)
    }

    fn spawn_task(&mut self, op: usize, waits_on: Option<usize>, task: impl Future<Output = Outcome> + Send + 'static) {
        self.tasks.push(Task {
            op,
            waits_on,
            join: tokio::spawn(task),
        });
    }

    fn ask<R: Send + 'static>(&mut self, ask: AskOf, call: Call<R, WorkerRef>, mark: Arc<MarkCell>) {
        let AskOf {
            op,
            to,
            timeout,
            panics,
            expect_ok,
        } = ask;
        let clock = self.clock.clone();
        let target = self.targets[to].target.clone();
        let task = async move {
            let started = clock.elapsed();
            let result = match timeout {
                Some(timeout) => call.timeout(timeout).await,
                None => call.await,
            };
            let took = clock.elapsed() - started;
            let mut wrong = Vec::new();
            match &result {
                // An async handler checked what it did itself.
                Ok(_) => {
                    if panics {
                        wrong.push("a panicking handler replied".to_owned());
                    }
                }
                Err(error) => {
                    wrong.extend(check_error(error, &target, timeout, panics, took, mark.cancelled()));
                    // Only a shutdown excuses the failure of an ask that
                    // must succeed.
                    if expect_ok && !target.world.is_shut_down() {
                        wrong.push(format!("expected a reply, got {error:?} after {took:?}"));
                    }
                }
            }
            if let Some(timeout) = timeout.filter(|timeout| took > *timeout) {
                wrong.push(format!("an ask with a timeout of {timeout:?} took {took:?}"));
            }
            Outcome {
                wrong,
                shutdown_took: None,
            }
        };
        self.spawn_task(op, timeout.is_none().then_some(to), task);
    }

    /// A tell refused at once: checked now.
    fn refused(&mut self, index: usize, to: usize, error: &SendError) {
        if let Some(wrong) = check_refusal(&self.targets[to].target, error, Sent::Send) {
            self.violations.push(format!("op #{index}: {wrong}"));
        }
    }

    pub(crate) async fn run_op(&mut self, index: usize, op: &Op) {
        match op {
            Op::Spawn(spec) => self.spawn(spec),
            Op::SpawnSup { kind, stop_hook_ms } => self.spawn_sup(*kind, stop_hook_ms),
            Op::Tell { to, msg } => {
                let (call, cell) = self.tell_call(*to, *msg, false);
                match call.send() {
                    Ok(()) => cell.accept(),
                    Err(error) => self.refused(index, *to, &error),
                }
            }
            Op::TellWait { to, msg } => {
                let (call, cell) = self.tell_call(*to, *msg, false);
                let target = self.targets[*to].target.clone();
                self.spawn_task(index, Some(*to), async move {
                    match call.send_wait().await {
                        Ok(()) => {
                            cell.accept();
                            Outcome::default()
                        }
                        Err(error) => Outcome::wrong(check_refusal(&target, &error, Sent::SendWait)),
                    }
                });
            }
            Op::TellAfter { to, msg, after_ms } => {
                let (call, cell) = self.tell_call(*to, *msg, true);
                match call.send_after(ms(*after_ms)) {
                    Ok(_timer) => cell.accept(),
                    Err(error) => self.refused(index, *to, &error),
                }
            }
            Op::Ask {
                to,
                msg,
                timeout_ms,
                expect_ok,
            } => {
                let handle = self.targets[*to].handle.clone();
                let ask = AskOf {
                    op: index,
                    to: *to,
                    timeout: timeout_ms.map(ms),
                    panics: msg.panics(),
                    expect_ok: *expect_ok,
                };
                let (mark, cell) = Mark::new();
                match self.build(*msg) {
                    Built::Sync(op) => self.ask(ask, handle.ask_sync(mark, op), cell),
                    Built::Async(op) => self.ask(ask, handle.ask_async(mark, op), cell),
                }
            }
            Op::CrashLoop { to, times } => {
                let (handle, times) = (self.targets[*to].handle.clone(), *times);
                let target = self.targets[*to].target.clone();
                self.spawn_task(index, None, async move {
                    for crash in 1..=times {
                        let (mark, cell) = Mark::new();
                        match handle.ask_sync(mark, SyncOp::Boom).await {
                            Err(CallError::Panicked { .. }) => {}
                            // A shutdown mid-program.
                            Err(CallError::Stopped { .. }) if stopped_ok(&target, cell.cancelled()) => break,
                            other => {
                                return Outcome::wrong(Some(format!(
                                    "crash {crash} of {times}: {other:?} instead of Panicked"
                                )));
                            }
                        }
                    }
                    Outcome::default()
                });
            }
            Op::Crash { to } => self.t.crash(&self.targets[*to].handle, "soak: crashed by the test"),
            Op::CrashSup { sup } => with_sup!(&self.sups[*sup], h => self.t.crash(h, "soak: crashed by the test")),
            Op::Stop { to } => {
                self.targets[*to].target.ask_stop();
                let stop = Handle::stop(&self.targets[*to].handle);
                self.spawn_task(index, None, async move {
                    stop.await;
                    Outcome::default()
                });
            }
            Op::StopSup { sup } => {
                for &child in &self.sup_children[*sup] {
                    self.targets[child].target.ask_stop();
                }
                let stop: Pin<Box<dyn Future<Output = ()> + Send>> =
                    with_sup!(&self.sups[*sup], h => Box::pin(Handle::stop(h)));
                self.spawn_task(index, None, async move {
                    stop.await;
                    Outcome::default()
                });
            }
            Op::Shutdown => {
                let (system, clock) = (self.t.system().clone(), self.clock.clone());
                self.spawn_task(index, None, async move {
                    let started = clock.elapsed();
                    system.shutdown().await;
                    Outcome {
                        wrong: Vec::new(),
                        shutdown_took: Some(clock.elapsed() - started),
                    }
                });
            }
            Op::Advance { ms: n } => self.t.advance(ms(*n)).await,
            Op::Settle => self.t.settle().await,
        }
        self.after_op(index);
    }

    /// Lifecycle checks after every op.
    fn after_op(&mut self, index: usize) {
        for (number, live) in self.targets.iter_mut().enumerate() {
            let status = live.handle.status();
            let pool_status = Handle::pool_status(&live.handle);
            let wrong_pool_status = match (live.target.members, pool_status) {
                (Some(members), Some(pool)) => (pool.size as u64 != members
                    || pool.live > pool.size
                    || status == Status::Stopped && pool.live != 0)
                    .then(|| format!("pool_status {pool:?} of a pool of {members}, {status:?}")),
                (None, None) => None,
                (members, pool) => Some(format!("pool_status {pool:?} of a process of {members:?} members")),
            };
            if let Some(wrong) = wrong_pool_status {
                self.violations
                    .push(format!("after op #{index}: process {number}: {wrong}"));
            }
            if live.reported {
                continue;
            }
            if live.seen_stopped && status != Status::Stopped {
                live.reported = true;
                self.violations.push(format!(
                    "after op #{index}: process {number} is {status:?} after it had stopped"
                ));
            }
            if status == Status::Stopped && !live.seen_stopped {
                live.seen_stopped = true;
                // Checked against its events at the end.
                live.gave_up = live.target.kind == Kind::Pool && !live.target.stop_for_good_asked();
            }
        }
    }

    pub(crate) fn statuses(&self) -> Vec<(String, Status)> {
        let targets = self
            .targets
            .iter()
            .enumerate()
            .map(|(number, live)| (format!("process {number} ({})", live.target.name), live.handle.status()));
        let sups = self
            .sups
            .iter()
            .enumerate()
            .map(|(number, sup)| (format!("supervisor {number}"), with_sup!(sup, h => Handle::status(h))));
        targets.chain(sups).collect()
    }
}
