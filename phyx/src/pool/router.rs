//! The pool's own task: takes each message of the pool's mailbox and hands
//! it to a member, starts members under load and retires idle ones.

use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use crate::event::{EventKind, StopReason};
use crate::kernel::addr::{Addr, Divert, Diverted, Refused, Shared};
use crate::kernel::process::{Handle, Message, PoolMember, PoolStatus, Process, Status};
use crate::kernel::run::finish;
use crate::kernel::spawn::{install_guards, register, spawn};
use crate::kernel::system::SystemInner;
use crate::kernel::tree::PoolView;
use crate::mailbox::Overflow;
use crate::panic::{catch_panics, quietly};
use crate::pool::options::{KeyFn, Kind, Pool};

/// Starts a pool's router and its first `min` members.
pub(crate) fn start<T: Process>(
    system: &Arc<SystemInner>,
    factory: impl Fn() -> T + Send + Sync + 'static,
    pool: Pool<T::Message>,
) -> T::Ref {
    let (min, max) = pool.bounds();
    let Pool {
        grow_at,
        idle_timeout,
        routing,
        options,
        ..
    } = pool;
    let settings = options.clone().or(T::options()).resolve(T::NAME);
    let router = register::<T::Message>(system, None, &settings);
    let view = Arc::new(View {
        min,
        max,
        members: Mutex::new(Members::Live(Vec::new())),
    });
    let _ = router.core.pool.set(view.clone());
    install_guards::<T>(system, &router.core);
    let factory = Arc::new(factory);
    let spawn_member: SpawnMember<T::Message> = {
        let (system, parent) = (system.clone(), router.clone());
        let mut started = 0_usize;
        Box::new(move || {
            let factory = factory.clone();
            let member_options = options
                .clone()
                .name(&format!("{}[{started}]", settings.name))
                .mailbox(settings.mailbox)
                .overflow(Overflow::Backpressure);
            started += 1;
            let member: T::Ref = spawn(&system, Some(parent.clone()), move || factory(), member_options);
            member.__addr().clone()
        })
    };
    let key = match &routing.kind {
        Kind::ByKey(key) => Some(key.clone()),
        Kind::LeastLoaded | Kind::RoundRobin => None,
    };
    let mut router_state = Router {
        addr: Addr::new(router.clone()),
        members: Vec::with_capacity(max),
        view: view.clone(),
        routing: routing.kind,
        min,
        max,
        grow_at,
        idle_timeout,
        next: 0,
        spawn_member,
        changed: false,
    };
    let now = system.clock.now();
    for _ in 0..min {
        router_state.start_member(now);
    }
    // Routed by key, the pool has a fixed size, so callers can route: a
    // keyed message goes straight to its member, without the router's hop.
    if let Some(key) = key {
        let members = router_state
            .members
            .iter()
            .map(|member| Arc::downgrade(member.addr.shared()))
            .collect();
        let _ = router.divert.set(Box::new(KeyRoute { members, key }));
    }
    system.spawn_task(router_state.run());
    T::Ref::__from_addr(Addr::new(router))
}

type SpawnMember<M> = Box<dyn FnMut() -> Addr<M> + Send>;

/// What [`Handle::pool_status`] reads, held by the pool's core.
///
/// Members hold their pool (their parent), so what the pool holds of them
/// must not outlive the router: `members` is frozen into a snapshot when
/// the router ends, and the callers' route holds weak references.
struct View<M: Message> {
    min: usize,
    max: usize,
    members: Mutex<Members<M>>,
}

enum Members<M: Message> {
    /// While the router runs: the members as it last changed them.
    Live(Vec<Addr<M>>),
    /// Once it has ended: how they were then.
    Final(Vec<PoolMember>),
}

impl<M: Message> View<M> {
    fn lock(&self) -> std::sync::MutexGuard<'_, Members<M>> {
        self.members.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn freeze(&self) {
        let mut members = self.lock();
        if let Members::Live(live) = &*members {
            *members = Members::Final(live.iter().map(member_status).collect());
        }
    }
}

fn member_status<M: Message>(member: &Addr<M>) -> PoolMember {
    let core = member.core();
    PoolMember {
        name: core.name.to_string(),
        status: if member.is_closed() {
            Status::Stopped
        } else {
            core.status()
        },
        queued: member.queued(),
        busy: core.is_busy(),
    }
}

/// The callers' side of routing by key.
struct KeyRoute<M: Message> {
    /// The pool's members, fixed; weak, see `View`.
    members: Vec<Weak<Shared<M>>>,
    key: KeyFn<M>,
}

impl<M: Message> KeyRoute<M> {
    /// The key's own member while it lives. Once it has stopped for good
    /// (or the pool has ended), the router decides: all of that key's
    /// messages take the router's way from then on, so they stay in order
    /// among themselves.
    fn member(&self, message: &M) -> Option<Addr<M>> {
        let key = (self.key)(message)?;
        let count = self.members.len() as u64;
        #[allow(clippy::cast_possible_truncation, reason = "below the member count")]
        let own = Addr::new(self.members[(key % count) as usize].upgrade()?);
        // A member telling its own key would wait for room in its own
        // mailbox, which only it can make: through the router instead.
        (own.core().status() != Status::Stopped && !crate::kernel::current::is(own.core())).then_some(own)
    }
}

/// A member that has stopped for good meanwhile gives the message back,
/// for the router to find another.
impl<M: Message> Divert<M> for KeyRoute<M> {
    fn try_divert(&self, message: M) -> Diverted<M> {
        let Some(member) = self.member(&message) else {
            return Diverted::Here(message);
        };
        match member.try_deliver(message) {
            Err(Refused::Stopped(back)) => Diverted::Here(back),
            delivered => Diverted::Done(delivered),
        }
    }

    fn divert(&self, message: M) -> Pin<Box<dyn Future<Output = Diverted<M>> + Send + '_>> {
        Box::pin(async move {
            let Some(member) = self.member(&message) else {
                return Diverted::Here(message);
            };
            match member.deliver(message).await {
                Err(Refused::Stopped(back)) => Diverted::Here(back),
                delivered => Diverted::Done(delivered),
            }
        })
    }
}

impl<M: Message> PoolView for View<M> {
    fn status(&self) -> PoolStatus {
        let members: Vec<PoolMember> = match &*self.lock() {
            Members::Live(members) => members.iter().map(member_status).collect(),
            Members::Final(members) => members.clone(),
        };
        PoolStatus {
            size: members.len(),
            live: members.iter().filter(|member| member.status != Status::Stopped).count(),
            min: self.min,
            max: self.max,
            members,
        }
    }
}

struct Member<M: Message> {
    addr: Addr<M>,
    /// When it was last given a message, or last seen with work in hand;
    /// it is retired `idle_timeout` after that if it has none then.
    active: Instant,
}

struct Router<M: Message> {
    addr: Addr<M>,
    /// Started and not retired, oldest first. A member that stops for good
    /// keeps its place (so keys keep theirs) until a shrink drops it.
    members: Vec<Member<M>>,
    view: Arc<View<M>>,
    routing: Kind<M>,
    min: usize,
    max: usize,
    grow_at: usize,
    idle_timeout: Duration,
    /// The next in turn, for round robin and least-loaded ties.
    next: usize,
    spawn_member: SpawnMember<M>,
    /// Whether `members` changed since the watch for the last one's stop
    /// was armed.
    changed: bool,
}

impl<M: Message> Router<M> {
    fn resizable(&self) -> bool {
        self.max > self.min
    }

    fn start_member(&mut self, now: Instant) -> usize {
        let addr = (self.spawn_member)();
        self.members.push(Member { addr, active: now });
        self.members_changed();
        self.members.len() - 1
    }

    fn members_changed(&mut self) {
        self.changed = true;
        *self.view.lock() = Members::Live(self.members.iter().map(|member| member.addr.clone()).collect());
    }

    /// Resolves once every current member has stopped for good.
    fn all_gone(&mut self) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        self.changed = false;
        let members: Vec<_> = self.members.iter().map(|member| member.addr.clone()).collect();
        Box::pin(async move {
            for member in members {
                member.core().stopped().await;
            }
        })
    }

    /// Routes until the pool is stopped or every member has stopped for
    /// good, then stops the members and fails what is queued.
    async fn run(mut self) {
        let addr = self.addr.clone();
        let core = addr.core();
        // A pool spawned on a system already shutting down stops at once.
        if !core.stop_requested() {
            core.set_status(Status::Running);
            core.instance_started();
            core.set_serving_since(Some(core.system.clock.now()));
            addr.publish(EventKind::Started);
        }
        // A panic can only come from the drop of a message (an argument's
        // `Drop`) abandoned on the way, or from a routing key; routing ends
        // there, as a stop would.
        let reason = catch_panics(self.route()).await.unwrap_or(StopReason::Shutdown);
        core.set_status(Status::Stopping);
        core.children.stop_all().await;
        self.view.freeze();
        finish(&addr, reason);
    }

    async fn route(&mut self) -> StopReason {
        let addr = self.addr.clone();
        let core = addr.core();
        let mailbox = &addr.shared().mailbox;
        // Members stop for good one by one; once the last has, the pool has
        // nothing to route to and stops, failing its callers at once.
        let mut all_gone = self.all_gone();
        loop {
            if self.changed {
                all_gone = self.all_gone();
            }
            // Above `min`, the pool wakes when the first member may have
            // been idle for long enough.
            let retire_at = (self.members.len() > self.min)
                .then(|| self.members.iter().map(|member| member.active).min())
                .flatten()
                .map(|active| active + self.idle_timeout);
            let idle = async {
                match retire_at {
                    Some(deadline) => core.system.clock.sleep_until(deadline).await,
                    None => std::future::pending().await,
                }
            };
            let mut message = tokio::select! {
                biased;
                message = mailbox.recv() => match message {
                    Some(message) => message,
                    // Woken without a message: stopped (or a crash injected
                    // into the router, which has no state to lose).
                    None if core.stop_requested() => return StopReason::Shutdown,
                    None => continue,
                },
                () = &mut all_gone => return self.every_member_stopped(),
                () = idle => {
                    self.retire_idle(core.system.clock.now());
                    continue;
                }
            };
            loop {
                let Some(index) = self.choose(&message) else {
                    quietly(|| drop(message));
                    return self.every_member_stopped();
                };
                // The router waits for room in the member's mailbox (members
                // are under backpressure) but never past its own stop: a pool
                // of stuck members still stops within their shutdown timeout.
                // The message dropped then is dropped as the pool stops.
                let delivered = {
                    let delivering = pin!(self.members[index].addr.deliver(message));
                    tokio::select! {
                        delivered = delivering => delivered,
                        () = core.stopping_for_good() => {
                            core.set_status(Status::Stopping);
                            return StopReason::Shutdown;
                        }
                    }
                };
                match delivered {
                    Ok(()) => {
                        if self.resizable() {
                            self.members[index].active = core.system.clock.now();
                        }
                        break;
                    }
                    // The member stopped for good meanwhile: another one gets it.
                    Err(Refused::Stopped(back) | Refused::Full(back)) => message = back,
                    // Members live on this node: nothing of theirs is
                    // remote, and a message that did not arrive is gone.
                    Err(Refused::Unreachable(_)) => break,
                }
            }
        }
    }

    fn every_member_stopped(&self) -> StopReason {
        StopReason::Escalated {
            reason: format!("all {} members of the pool stopped for good", self.members.len()).into(),
        }
    }

    /// The member for `message`; `None` once every member has stopped for
    /// good.
    fn choose(&mut self, message: &M) -> Option<usize> {
        if let Kind::ByKey(key) = &self.routing {
            // A key function that panics (it panicked in the caller too)
            // leaves the message to the least loaded member.
            let key = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| key(message))).unwrap_or(None);
            if let Some(key) = key {
                let members = self.members.iter().map(|member| &member.addr);
                return by_key(members, key);
            }
        }
        if self.should_grow() {
            return Some(self.start_member(self.addr.core().system.clock.now()));
        }
        match self.routing {
            Kind::RoundRobin => self.round_robin(),
            Kind::LeastLoaded | Kind::ByKey(_) => self.least_loaded(),
        }
    }

    /// Below `max`, with every live member at the growth load (and at
    /// least one live: a pool whose members all stopped for good stops).
    fn should_grow(&self) -> bool {
        if self.members.len() >= self.max {
            return false;
        }
        let mut live = self
            .members
            .iter()
            .filter(|member| member.addr.core().status() != Status::Stopped);
        let mut any = false;
        let loaded = live.all(|member| {
            any = true;
            load(&member.addr) >= self.grow_at
        });
        any && loaded
    }

    /// The next member in turn that runs (or starts), else the next that
    /// lives.
    fn round_robin(&mut self) -> Option<usize> {
        let count = self.members.len();
        for skip_restarting in [true, false] {
            for offset in 0..count {
                let index = (self.next + offset) % count;
                let status = self.members[index].addr.core().status();
                if status == Status::Stopped || (skip_restarting && status == Status::Restarting) {
                    continue;
                }
                self.next = index + 1;
                return Some(index);
            }
        }
        None
    }

    /// The live member with the least work, running members before
    /// restarting ones; among equals the next in turn, or the oldest in a
    /// resizable pool (so that the newest fall idle and are retired).
    fn least_loaded(&mut self) -> Option<usize> {
        let count = self.members.len();
        let score = |member: &Addr<M>| {
            let work = load(member);
            match member.core().status() {
                Status::Stopped => None,
                Status::Running => Some((false, work)),
                _ => Some((true, work)),
            }
        };
        let start = if self.resizable() { 0 } else { self.next % count };
        let chosen = (0..count)
            .map(|offset| (start + offset) % count)
            .filter_map(|index| score(&self.members[index].addr).map(|score| (score, index)))
            .min_by_key(|&(score, _)| score)
            .map(|(_, index)| index)?;
        self.next = chosen + 1;
        Some(chosen)
    }

    /// Drops members that stopped for good, then retires those given
    /// nothing for the idle timeout and with nothing in hand, newest
    /// first, down to `min`.
    ///
    /// Nothing is lost: the router is the only one delivering to members,
    /// and it does so one message at a time, so a member it retires here
    /// gets nothing more from it; whatever else reaches its mailbox (its
    /// own tells to itself) goes back to the pool when it stops, as with
    /// any member that stops for good.
    fn retire_idle(&mut self, now: Instant) {
        let before = self.members.len();
        let mut index = self.members.len();
        while index > 0 && self.members.len() > self.min {
            index -= 1;
            let member = &mut self.members[index];
            let core = member.addr.core();
            let status = core.status();
            if status == Status::Stopped {
                self.members.remove(index);
                continue;
            }
            let idle = status == Status::Running && !core.is_busy() && member.addr.queued() == 0;
            if !idle {
                member.active = now;
            } else if now >= member.active + self.idle_timeout {
                let member = self.members.remove(index);
                member.addr.node().request_stop();
            }
        }
        if self.members.len() != before {
            self.members_changed();
        }
    }
}

/// The key's own member while it lives, whether running or restarting
/// (its messages wait for it, in order); once it has stopped for good, a
/// live member picked by the key. `None` if none lives.
///
/// Callers (`KeyRoute`) take the first branch themselves and leave the
/// rest to the router.
fn by_key<'a, M: Message>(members: impl ExactSizeIterator<Item = &'a Addr<M>> + Clone, key: u64) -> Option<usize> {
    let count = members.len() as u64;
    // Remainders of divisions by a member count fit a `usize`.
    #[allow(clippy::cast_possible_truncation, reason = "below the member count")]
    let own = (key % count) as usize;
    let live = |member: &Addr<M>| member.core().status() != Status::Stopped;
    if members.clone().nth(own).is_some_and(live) {
        return Some(own);
    }
    let alive = members.clone().filter(|member| live(member)).count() as u64;
    if alive == 0 {
        return None;
    }
    #[allow(clippy::cast_possible_truncation, reason = "below the member count")]
    let nth = (key % alive) as usize;
    members
        .enumerate()
        .filter(|(_, member)| live(member))
        .nth(nth)
        .map(|(index, _)| index)
}

/// Messages waiting at a member, plus one if it is handling one.
fn load<M: Message>(member: &Addr<M>) -> usize {
    member.queued() + usize::from(member.core().is_busy())
}
