//! Supervisors: a fixed list of children, restarted by a strategy, under a
//! restart intensity past which the supervisor fails and its parent decides.
//!
//! The state machine, per child slot: `Reserved` (an address, no task yet)
//! → `Running` → `Parked` (its instance ended and it waits for a
//! [`Command`]) → `Running` again, or `Gone` for good. A child's exit is
//! handled as a message of the supervisor:
//!
//! - during a group restart, an exit that is not part of the group is
//!   *deferred* and handled once the group is done;
//! - otherwise the strategy picks the affected children and the intensity
//!   window is checked; past it the group becomes "park everyone, then
//!   escalate";
//! - a group *recycles* its running children one at a time, the last
//!   started first (the handler in flight is cancelled at once, see
//!   [`Strategy`]), waiting for each to park; then it restarts them in start
//!   order, each built afresh from the supervisor's state by its
//!   `#[child]` method, or fails the supervisor.
//!
//! Building a child runs user code, so decisions taken under the state's
//! lock are queued as [`Order`]s and carried out once it is released.

use std::any::Any;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::oneshot;

use crate::error::ChildError;
use crate::event::EventKind;
use crate::id::ProcessId;
use crate::kernel::addr::{Addr, Shared};
use crate::kernel::ctx::Ctx;
use crate::kernel::link::{Command, Exit, ExitSink, Link, Supervise, SupervisorMsg, SupervisorSpec};
use crate::kernel::process::{Handle, Process, Status};
use crate::kernel::run::{RestartWindow, run};
use crate::kernel::spawn::{install_guards, register};
use crate::kernel::system::SystemInner;
use crate::kernel::tree::{AnyProcess, Core};
use crate::options::{Backoff, Restart, RestartLimit, SpawnOptions};

/// Which children a supervisor restarts when one of them fails.
///
/// Under [`OneForAll`](Self::OneForAll) and
/// [`RestForOne`](Self::RestForOne) the failed child's siblings in the group
/// are taken down without grace: a handler one of them is running is
/// cancelled at once (its caller gets
/// [`CallError::Stopped`](crate::CallError::Stopped)), its stop hook runs,
/// and its queued messages wait for its next instance. A sibling is often
/// blocked on the very child that crashed, whose mailbox only drains once
/// the group has restarted; waiting for it to finish would stall the whole
/// group for its shutdown timeout. (A handler of a process stopped for
/// good still gets its shutdown timeout to finish.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Strategy {
    /// Only the failed child. The default.
    #[default]
    OneForOne,
    /// Every child: all stop (the last started first) and start again (in
    /// start order).
    OneForAll,
    /// The failed child and the children started after it.
    RestForOne,
}

impl Strategy {
    /// Restarts a supervisor allows within a window before it gives up,
    /// stops its children and fails, escalating to its parent: 3 within 5
    /// seconds.
    ///
    /// With the default backoff a child that crashes at every start is
    /// restarted 3 times in about 0.7 s before the failure escalates; a child
    /// that crashes now and then never trips it.
    pub const DEFAULT_INTENSITY: RestartLimit = RestartLimit::new(3, Duration::from_secs(5));
}

type Start = Box<dyn FnOnce() + Send>;
/// Builds a child's next state from the supervisor's (`&S`, erased), for
/// its task to take when it (re)starts.
type Prepare = Arc<dyn Fn(&dyn Any) + Send + Sync>;
/// A child's state, built by its supervisor, waiting for the child's task.
type Prepared<C> = Arc<Mutex<Option<Result<C, Arc<str>>>>>;
type Reserve = Box<dyn FnOnce(&Arc<SystemInner>, Arc<dyn AnyProcess>, Link, &mut Vec<ChildSlot>) + Send>;

/// What `#[supervisor]` declares: strategy, intensity, children. Carried
/// inside the kernel's [`SupervisorSpec`] until the process is made.
struct Plan<S: Process> {
    strategy: Strategy,
    max_restarts: RestartLimit,
    sink: fn(Addr<S::Message>) -> Arc<dyn ExitSink>,
    children: Vec<Reserve>,
}

impl<S: Process> SupervisorSpec<S>
where
    S::Message: From<SupervisorMsg>,
{
    pub fn new(strategy: Strategy, max_restarts: u32, within: Duration) -> Self {
        let plan = Plan::<S> {
            strategy,
            max_restarts: RestartLimit::new(max_restarts, within),
            sink: |addr| Arc::new(addr),
            children: Vec::new(),
        };
        Self {
            plan: Box::new(plan),
            reserve: |plan, system, shared| {
                if let Ok(plan) = plan.downcast::<Plan<S>>() {
                    reserve(system, shared, *plan);
                }
            },
        }
    }

    fn plan(&mut self) -> &mut Plan<S> {
        // `new` is the only constructor, and it stores a `Plan<S>`.
        self.plan
            .downcast_mut()
            .expect("a supervisor spec holds the plan of its own type")
    }

    /// Declares the next child: built by `build` from the supervisor's
    /// state, in the supervisor's own task, whenever the supervisor starts
    /// or restarts it (so the supervisor's state is only ever borrowed,
    /// never shared or cloned).
    ///
    /// `build` also gets the handles of the children declared before this
    /// one ([`Siblings`]): their addresses, taken now, stay valid across
    /// every restart of theirs.
    pub fn child<C: Process>(
        mut self,
        name: &'static str,
        options: SpawnOptions,
        build: fn(&S, &Siblings) -> C,
    ) -> Self {
        self.plan().children.push(Box::new(move |system, parent, link, slots| {
            let siblings = Siblings(slots.iter().map(|slot| slot.node.clone()).collect());
            let defaults = SpawnOptions::new().name(name).restart(Restart::Permanent);
            let settings = options.or(C::options()).or(defaults).resolve(C::NAME);
            let shared = register::<C::Message>(system, Some(parent), &settings);
            let _ = shared.core.link.set(link);
            install_guards::<C>(system, &shared.core);
            if let Some(spec) = C::__supervision() {
                spec.reserve(system, &shared);
            }
            let (restart, backoff, max_restarts) = (settings.restart, settings.backoff, settings.max_restarts);
            let prepared: Prepared<C> = Arc::new(Mutex::new(None));
            let prepare: Prepare = Arc::new({
                let prepared = prepared.clone();
                move |state| {
                    let built = match state.downcast_ref::<S>() {
                        Some(state) => {
                            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| build(state, &siblings)))
                                .map_err(crate::panic::panic_message)
                        }
                        None => Err("a supervisor's state has the type of its `#[supervisor]` impl".into()),
                    };
                    *prepared.lock().unwrap_or_else(PoisonError::into_inner) = Some(built);
                }
            });
            let task = shared.clone();
            let system = system.clone();
            let start: Start = Box::new(move || {
                let factory = move || {
                    prepared
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .take()
                        .unwrap_or_else(|| Err("the supervisor had not built this child's state".into()))
                };
                system.spawn_task(run::<C>(task, factory, settings));
            });
            slots.push(ChildSlot {
                node: shared,
                restart,
                backoff,
                window: RestartWindow::new(max_restarts),
                prepare,
                state: ChildState::Reserved(start),
            });
        }));
        self
    }
}

/// The children declared before the one being built, for a `#[child]`
/// method that takes their handles.
#[doc(hidden)]
pub struct Siblings(Vec<Arc<dyn AnyProcess>>);

/// The handle of the earlier child `index`, which the macro declared as a
/// `C`.
#[doc(hidden)]
pub fn sibling<C: Process>(siblings: &Siblings, index: usize) -> C::Ref {
    let child = siblings.0.get(index).cloned().and_then(Addr::<C::Message>::of);
    // The macro passes only earlier children, by the type they return.
    let child = child.expect("a sibling is an earlier child of the type its `#[child]` method returns");
    crate::kernel::process::Handle::__from_addr(child)
}

/// Sets up the supervisor behind `shared`: its children get addresses now,
/// and tasks when it starts.
fn reserve<S: Process>(system: &Arc<SystemInner>, shared: &Arc<Shared<S::Message>>, spec: Plan<S>) {
    let sink = (spec.sink)(Addr::new(shared.clone()));
    let mut slots = Vec::with_capacity(spec.children.len());
    for (index, reserve) in spec.children.into_iter().enumerate() {
        let link = Link {
            sink: sink.clone(),
            index,
        };
        reserve(system, shared.clone(), link, &mut slots);
    }
    let supervision = Supervision {
        strategy: spec.strategy,
        max_restarts: spec.max_restarts,
        sink,
        state: Mutex::new(State {
            intensity: RestartWindow::new(spec.max_restarts),
            next_dynamic: slots.len(),
            dynamic: BTreeMap::new(),
            slots,
            group: None,
            deferred: Vec::new(),
            orders: Vec::new(),
        }),
    };
    let _ = shared.core.supervision.set(Arc::new(supervision));
}

/// A supervisor's children and what it is doing with them.
pub(crate) struct Supervision {
    strategy: Strategy,
    max_restarts: RestartLimit,
    /// Where its children's exits go, for the links of dynamic children.
    sink: Arc<dyn ExitSink>,
    state: Mutex<State>,
}

struct State {
    intensity: RestartWindow,
    /// The `#[child]`ren, in declaration order: child `index` is
    /// `slots[index]`.
    slots: Vec<ChildSlot>,
    /// Children started at run time, by index (from `slots.len()` up, in
    /// start order, never reused); removed once they stop for good.
    dynamic: BTreeMap<usize, ChildSlot>,
    next_dynamic: usize,
    group: Option<Group>,
    /// Exits that arrived while a group restart was under way.
    deferred: Vec<Exit>,
    /// Starts and restarts decided, to carry out once the lock is released:
    /// building a child runs the user's `#[child]` method.
    orders: Vec<Order>,
}

/// A child to build from the supervisor's state and then start or restart.
enum Order {
    Start(Prepare, Start),
    Restart {
        prepare: Prepare,
        reply: oneshot::Sender<Command>,
        attempt: u32,
        delay: Duration,
    },
}

impl Order {
    fn carry_out(self, state: &dyn Any) {
        match self {
            Self::Start(prepare, start) => {
                prepare(state);
                start();
            }
            Self::Restart {
                prepare,
                reply,
                attempt,
                delay,
            } => {
                prepare(state);
                let _ = reply.send(Command::Restart { attempt, delay });
            }
        }
    }
}

struct ChildSlot {
    node: Arc<dyn AnyProcess>,
    restart: Restart,
    backoff: Backoff,
    window: RestartWindow,
    prepare: Prepare,
    state: ChildState,
}

enum ChildState {
    /// An address without a task yet.
    Reserved(Start),
    Running,
    /// Its instance ended; it waits for a command.
    Parked(oneshot::Sender<Command>),
    Gone,
}

/// Children being stopped one by one (the last started first), then
/// restarted, or left parked while the supervisor escalates.
struct Group {
    to_recycle: Vec<usize>,
    waiting_for: Option<usize>,
    then: Then,
}

enum Then {
    Restart {
        children: Vec<usize>,
        attempt: u32,
        delay: Duration,
    },
    Escalate(Arc<str>),
}

/// The supervision of the supervisor whose core is `core`.
fn supervision_of(core: &Core) -> Option<Arc<Supervision>> {
    core.supervision.get()?.clone().into_any().downcast().ok()
}

impl Supervise for Supervision {
    fn child(&self, index: usize) -> Option<Arc<dyn AnyProcess>> {
        self.state().slots.get(index).map(|slot| slot.node.clone())
    }

    fn abandon_reserved(&self) {
        let reserved: Vec<_> = self
            .state()
            .slots
            .iter_mut()
            .filter(|slot| matches!(slot.state, ChildState::Reserved(_)))
            .map(|slot| {
                slot.state = ChildState::Gone;
                slot.node.clone()
            })
            .collect();
        for node in reserved {
            node.abandon();
        }
    }

    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}

impl Supervision {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl State {
    /// Child `index`, static or dynamic; `None` for a dynamic child
    /// removed already.
    fn slot(&mut self, index: usize) -> Option<&mut ChildSlot> {
        match self.slots.get_mut(index) {
            Some(slot) => Some(slot),
            None => self.dynamic.get_mut(&index),
        }
    }

    fn is_dynamic(&self, index: usize) -> bool {
        index >= self.slots.len()
    }
}

/// A supervisor instance starts: first starts of its children, or restarts
/// of those its last instance left parked, each built from `state`.
#[doc(hidden)]
pub fn start<S: Process>(state: &S, ctx: &mut Ctx<S>) {
    let Some(supervision) = supervision_of(ctx.node().core()) else {
        return;
    };
    let orders = {
        let mut guard = supervision.state();
        let locked = &mut *guard;
        locked.intensity = RestartWindow::new(supervision.max_restarts);
        locked.group = None;
        for slot in &mut locked.slots {
            let prepare = slot.prepare.clone();
            match std::mem::replace(&mut slot.state, ChildState::Running) {
                ChildState::Reserved(start) => locked.orders.push(Order::Start(prepare, start)),
                ChildState::Parked(reply) => locked.orders.push(Order::Restart {
                    prepare,
                    reply,
                    attempt: 0,
                    delay: Duration::ZERO,
                }),
                ChildState::Running => {}
                ChildState::Gone => slot.state = ChildState::Gone,
            }
        }
        // A new instance starts with its static children only (as an OTP
        // supervisor does): dynamic children its last instance left parked
        // stop for good.
        locked
            .dynamic
            .retain(|_, slot| match std::mem::replace(&mut slot.state, ChildState::Gone) {
                ChildState::Parked(reply) => {
                    let _ = reply.send(Command::Stop);
                    false
                }
                other => {
                    slot.state = other;
                    true
                }
            });
        std::mem::take(&mut locked.orders)
    };
    for order in orders {
        order.carry_out(state);
    }
}

/// A supervisor handles a child's exit; children it restarts are built
/// from `state`.
#[doc(hidden)]
pub fn handle<S: Process>(state: &S, ctx: &mut Ctx<S>, message: SupervisorMsg) {
    let Some(supervision) = supervision_of(ctx.node().core()) else {
        return;
    };
    let orders = {
        let mut locked = supervision.state();
        on_exit(&supervision, &mut locked, ctx, message.0);
        // Exits that waited for a group restart to finish.
        while locked.group.is_none() && !locked.deferred.is_empty() {
            let exit = locked.deferred.remove(0);
            on_exit(&supervision, &mut locked, ctx, exit);
        }
        std::mem::take(&mut locked.orders)
    };
    for order in orders {
        order.carry_out(state);
    }
}

fn on_exit<S>(supervision: &Supervision, state: &mut State, ctx: &mut Ctx<S>, exit: Exit) {
    let Exit {
        index,
        reason,
        recycled,
        gone,
        reply,
    } = exit;
    if gone {
        if state.is_dynamic(index) {
            state.dynamic.remove(&index);
        } else {
            state.slots[index].state = ChildState::Gone;
        }
        if let Some(group) = &mut state.group {
            group.to_recycle.retain(|&other| other != index);
            if group.waiting_for == Some(index) {
                group.waiting_for = None;
            }
            advance_group(state, ctx);
        }
        return;
    }
    // A dynamic child terminated meanwhile: dropping `reply` stops it.
    if state.slot(index).is_none() {
        return;
    }
    if let Some(group) = &mut state.group {
        let expected = group.waiting_for == Some(index) || group.to_recycle.contains(&index) || recycled;
        if !expected {
            state.deferred.push(Exit {
                index,
                reason,
                recycled,
                gone,
                reply,
            });
            return;
        }
        group.to_recycle.retain(|&other| other != index);
        if group.waiting_for == Some(index) {
            group.waiting_for = None;
        }
        if let Some(slot) = state.slot(index) {
            slot.state = ChildState::Parked(reply);
        }
        advance_group(state, ctx);
        return;
    }
    let dynamic = state.is_dynamic(index);
    let Some(slot) = state.slot(index) else { return };
    slot.state = ChildState::Parked(reply);
    if !slot.restart.restarts_after(&reason) {
        // A dynamic child that stops for good leaves the supervisor's list.
        let removed = slot.restart == Restart::Temporary || dynamic;
        stop_child(state, index, removed, ctx);
        return;
    }
    let core = ctx.node().core();
    let now = core.system.clock.now();
    if state.intensity.record(now).is_none() {
        let RestartLimit { max_restarts, within } = supervision.max_restarts;
        core.publish(EventKind::RestartLimitReached { max_restarts, within });
        let reason: Arc<str> = format!("more than {max_restarts} restarts of its children within {within:?}").into();
        let running = (0..state.slots.len()).chain(state.dynamic.keys().copied()).collect();
        state.group = Some(Group {
            to_recycle: running,
            waiting_for: None,
            then: Then::Escalate(reason),
        });
        advance_group(state, ctx);
        return;
    }
    let Some(slot) = state.slot(index) else { return };
    // The supervisor's intensity limits restarts; the child's own window
    // only numbers them for its backoff.
    let attempt = slot.window.count(now);
    let delay = slot.backoff.delay(attempt, core.system.random());
    // Dynamic children restart alone, whatever the strategy; the strategy
    // groups the static ones.
    let statics = state.slots.len();
    let affected: Vec<usize> = match supervision.strategy {
        _ if dynamic => vec![index],
        Strategy::OneForOne => vec![index],
        Strategy::OneForAll => (0..statics).collect(),
        Strategy::RestForOne => (index..statics).collect(),
    };
    let children: Vec<usize> = affected
        .into_iter()
        .filter(|&i| {
            state
                .slot(i)
                .is_some_and(|slot| !matches!(slot.state, ChildState::Gone | ChildState::Reserved(_)))
        })
        .collect();
    state.group = Some(Group {
        to_recycle: children.iter().copied().filter(|&i| i != index).collect(),
        waiting_for: None,
        then: Then::Restart {
            children,
            attempt,
            delay,
        },
    });
    advance_group(state, ctx);
}

/// Recycles the next running child of the group (the last started first);
/// once all are parked, restarts them in start order or escalates.
fn advance_group<S>(state: &mut State, ctx: &mut Ctx<S>) {
    let Some(group) = &mut state.group else { return };
    if group.waiting_for.is_some() {
        return;
    }
    while let Some(next) = group.to_recycle.pop() {
        let slot = match state.slots.get(next) {
            Some(slot) => Some(slot),
            None => state.dynamic.get(&next),
        };
        if let Some(slot) = slot.filter(|slot| matches!(slot.state, ChildState::Running)) {
            slot.node.recycle();
            group.waiting_for = Some(next);
            return;
        }
    }
    let Some(group) = state.group.take() else { return };
    match group.then {
        Then::Restart {
            children,
            attempt,
            delay,
        } => {
            for index in children {
                let Some(slot) = state.slot(index) else { continue };
                if slot.restart == Restart::Temporary {
                    // A temporary child taken down by a sibling is removed.
                    stop_child(state, index, true, ctx);
                    continue;
                }
                // A child that stopped for good meanwhile stays gone.
                if matches!(slot.state, ChildState::Parked(_)) {
                    if let ChildState::Parked(reply) = std::mem::replace(&mut slot.state, ChildState::Running) {
                        let prepare = slot.prepare.clone();
                        state.orders.push(Order::Restart {
                            prepare,
                            reply,
                            attempt,
                            delay,
                        });
                    }
                }
            }
        }
        Then::Escalate(reason) => ctx.fail(reason),
    }
}

/// Stops child `index` for good; a `removed` one is announced, and a
/// dynamic one leaves the list.
fn stop_child<S>(state: &mut State, index: usize, removed: bool, ctx: &Ctx<S>) {
    let dynamic = state.is_dynamic(index);
    let Some(slot) = state.slot(index) else { return };
    if let ChildState::Parked(reply) = std::mem::replace(&mut slot.state, ChildState::Gone) {
        let _ = reply.send(Command::Stop);
    }
    let child = slot.node.core().id;
    if dynamic {
        state.dynamic.remove(&index);
    }
    if removed {
        ctx.node().core().publish(EventKind::ChildRemoved { child });
    }
}

/// What a supervisor's handle can do besides its children's accessors:
/// start children at run time, list them, terminate them. Every handle
/// `#[supervisor]` generates implements it; it is in the prelude.
///
/// Dynamic children (OTP's `simple_one_for_one`, Elixir's
/// `DynamicSupervisor`) are built by a factory, like
/// [`System::spawn`](crate::System::spawn)'s, at every (re)start, and each
/// restarts by its own options ([`Restart`], backoff) under the
/// supervisor's restart intensity: too many restarts of its children,
/// static or dynamic, and the supervisor stops them all and fails,
/// escalating as always. They restart alone (one for one), whatever the
/// supervisor's [`Strategy`], which groups its `#[child]`ren only. A
/// dynamic child that stops for good (a transient one that stops
/// normally, a temporary one that ends, one stopped or terminated) leaves
/// the supervisor's list; all stop with the supervisor, before it. A
/// supervisor that restarts comes back with its `#[child]`ren only.
///
/// A supervisor may have both `#[child]` methods and dynamic children, or
/// either: `#[supervisor] impl Server {}` is a supervisor of dynamic
/// children only.
///
/// # Examples
///
/// ```
/// use phyx::prelude::*;
///
/// #[derive(Default)]
/// struct Session {
///     pings: u32,
/// }
///
/// #[process]
/// impl Session {
///     #[public]
///     fn ping(&mut self) -> u32 {
///         self.pings += 1;
///         self.pings
///     }
/// }
///
/// struct Server;
///
/// #[supervisor(max_restarts = 10, within = "1s")]
/// impl Server {}
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let system = System::new();
/// let server: ServerRef = system.spawn(|| Server);
/// let session: SessionRef = server.start_child(Session::default)?;
/// assert_eq!(session.ping().await?, 1);
/// assert_eq!(server.children(), [session.id()]);
/// server.terminate_child(&session).await?;
/// assert!(server.children().is_empty());
/// system.shutdown().await;
/// # Ok(())
/// # }
/// ```
pub trait Supervisor: Handle {
    /// Starts a child of this supervisor, built by `factory` now and at
    /// every restart, with the options of its `#[process(...)]` (a
    /// permanent child unless they say otherwise). Returns its handle at
    /// once, valid across its restarts.
    ///
    /// # Errors
    ///
    /// [`ChildError::Stopped`] if the supervisor has stopped or is
    /// stopping: no child is started.
    fn start_child<C: Process>(&self, factory: impl Fn() -> C + Send + Sync + 'static) -> Result<C::Ref, ChildError> {
        self.start_child_with(factory, SpawnOptions::new())
    }

    /// Starts a child with options that override its `#[process(...)]`
    /// ones, e.g. `SpawnOptions::new().restart(Restart::Transient)`.
    ///
    /// # Errors
    ///
    /// As [`start_child`](Self::start_child).
    ///
    /// # Examples
    ///
    /// ```
    /// # use phyx::prelude::*;
    /// # use phyx::{Restart, SpawnOptions};
    /// # #[derive(Default)] struct Job;
    /// # #[process] impl Job { #[public] fn run(&self) {} }
    /// # struct Jobs;
    /// # #[supervisor] impl Jobs {}
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # let system = System::new();
    /// let jobs: JobsRef = system.spawn(|| Jobs);
    /// let options = SpawnOptions::new().name("job-1").restart(Restart::Transient);
    /// let job: JobRef = jobs.start_child_with(Job::default, options).unwrap();
    /// assert_eq!(job.name(), "job-1");
    /// # }
    /// ```
    fn start_child_with<C: Process>(
        &self,
        factory: impl Fn() -> C + Send + Sync + 'static,
        options: SpawnOptions,
    ) -> Result<C::Ref, ChildError> {
        start_dynamic::<C>(self.__addr().node(), factory, options)
    }

    /// The dynamic children, in start order: those started with
    /// [`start_child`](Self::start_child) that have not stopped for good.
    /// The `#[child]`ren are not listed: the handle has an accessor for
    /// each.
    fn children(&self) -> Vec<ProcessId> {
        let Some(supervision) = supervision_of(self.__addr().core()) else {
            return Vec::new();
        };
        let state = supervision.state();
        state
            .dynamic
            .values()
            .map(|slot| slot.node.core())
            .filter(|core| !core.stop_requested() && core.status() != Status::Stopped)
            .map(|core| core.id)
            .collect()
    }

    /// Stops a dynamic child for good (its stop hook runs, within its
    /// shutdown timeout) and removes it; resolves once it has stopped
    /// (at once from inside the child itself, which stops after its
    /// handler).
    ///
    /// # Errors
    ///
    /// [`ChildError::NotAChild`] if `child` is not a dynamic child of this
    /// supervisor: never started here, stopped already, or a `#[child]`
    /// (whose supervisor owns its life).
    fn terminate_child<H: Handle>(&self, child: &H) -> impl Future<Output = Result<(), ChildError>> + Send + 'static {
        let core = self.__addr().core();
        let id = child.id();
        let removed = supervision_of(core).and_then(|supervision| {
            let mut state = supervision.state();
            let index = state
                .dynamic
                .iter()
                .find(|(_, slot)| slot.node.core().id == id)
                .map(|(&index, _)| index)?;
            state.dynamic.remove(&index).map(|slot| slot.node)
        });
        let not_a_child = ChildError::NotAChild {
            supervisor: core.name.clone(),
            child: id,
        };
        async move {
            let node = removed.ok_or(not_a_child)?;
            node.request_stop();
            if !crate::kernel::current::is_within(node.core()) {
                node.core().stopped().await;
            }
            Ok(())
        }
    }
}

/// Starts a dynamic child of the supervisor `parent`.
fn start_dynamic<C: Process>(
    parent: Arc<dyn AnyProcess>,
    factory: impl Fn() -> C + Send + Sync + 'static,
    options: SpawnOptions,
) -> Result<C::Ref, ChildError> {
    let core = parent.core();
    let stopped = || ChildError::Stopped {
        supervisor: core.name.clone(),
    };
    let Some(supervision) = supervision_of(core) else {
        return Err(stopped());
    };
    if core.stop_requested() || core.status() == Status::Stopped {
        return Err(stopped());
    }
    let system = core.system.clone();
    let settings = options
        .or(C::options())
        .or(SpawnOptions::new().restart(Restart::Permanent))
        .resolve(C::NAME);
    let shared = register::<C::Message>(&system, Some(parent.clone()), &settings);
    install_guards::<C>(&system, &shared.core);
    if let Some(spec) = C::__supervision() {
        spec.reserve(&system, &shared);
    }
    {
        let mut state = supervision.state();
        let index = state.next_dynamic;
        state.next_dynamic += 1;
        let _ = shared.core.link.set(Link {
            sink: supervision.sink.clone(),
            index,
        });
        state.dynamic.insert(
            index,
            ChildSlot {
                node: shared.clone(),
                restart: settings.restart,
                backoff: settings.backoff,
                window: RestartWindow::new(settings.max_restarts),
                // Its factory builds its state in its own task.
                prepare: Arc::new(|_| {}),
                state: ChildState::Running,
            },
        );
    }
    system.spawn_task(run::<C>(shared.clone(), move || Ok(factory()), settings));
    // The supervisor began stopping meanwhile: the child stops with it.
    if shared.core.stop_requested() {
        return Err(stopped());
    }
    Ok(crate::kernel::process::Handle::__from_addr(Addr::new(shared)))
}
