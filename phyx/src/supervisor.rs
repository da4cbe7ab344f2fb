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

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::oneshot;

use crate::event::EventKind;
use crate::kernel::addr::{Addr, Shared};
use crate::kernel::ctx::Ctx;
use crate::kernel::link::{Command, Exit, ExitSink, Link, Supervise, SupervisorMsg, SupervisorSpec};
use crate::kernel::process::Process;
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
                        Some(state) => std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| build(state, &siblings)))
                            .map_err(crate::panic::panic_message),
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
        state: Mutex::new(State {
            intensity: RestartWindow::new(spec.max_restarts),
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
    state: Mutex<State>,
}

struct State {
    intensity: RestartWindow,
    slots: Vec<ChildSlot>,
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
        state.slots[index].state = ChildState::Gone;
        if let Some(group) = &mut state.group {
            group.to_recycle.retain(|&other| other != index);
            if group.waiting_for == Some(index) {
                group.waiting_for = None;
            }
            advance_group(state, ctx);
        }
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
        state.slots[index].state = ChildState::Parked(reply);
        advance_group(state, ctx);
        return;
    }
    state.slots[index].state = ChildState::Parked(reply);
    let slot = &state.slots[index];
    if !slot.restart.restarts_after(&reason) {
        let removed = slot.restart == Restart::Temporary;
        stop_child(state, index, removed, ctx);
        return;
    }
    let core = ctx.node().core();
    let now = core.system.clock.now();
    if state.intensity.record(now).is_none() {
        let RestartLimit { max_restarts, within } = supervision.max_restarts;
        core.publish(EventKind::RestartLimitReached { max_restarts, within });
        let reason: Arc<str> = format!("more than {max_restarts} restarts of its children within {within:?}").into();
        let running = (0..state.slots.len()).collect();
        state.group = Some(Group {
            to_recycle: running,
            waiting_for: None,
            then: Then::Escalate(reason),
        });
        advance_group(state, ctx);
        return;
    }
    let slot = &mut state.slots[index];
    // The supervisor's intensity limits restarts; the child's own window
    // only numbers them for its backoff.
    let attempt = slot.window.count(now);
    let delay = slot.backoff.delay(attempt, core.system.random());
    let affected: Vec<usize> = match supervision.strategy {
        Strategy::OneForOne => vec![index],
        Strategy::OneForAll => (0..state.slots.len()).collect(),
        Strategy::RestForOne => (index..state.slots.len()).collect(),
    };
    let children: Vec<usize> = affected
        .into_iter()
        .filter(|&i| !matches!(state.slots[i].state, ChildState::Gone | ChildState::Reserved(_)))
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
        if matches!(state.slots[next].state, ChildState::Running) {
            state.slots[next].node.recycle();
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
                if state.slots[index].restart == Restart::Temporary {
                    // A temporary child taken down by a sibling is removed.
                    stop_child(state, index, true, ctx);
                    continue;
                }
                // A child that stopped for good meanwhile stays gone.
                let slot = &mut state.slots[index];
                if matches!(slot.state, ChildState::Parked(_)) {
                    if let ChildState::Parked(reply) = std::mem::replace(&mut slot.state, ChildState::Running) {
                        state.orders.push(Order::Restart {
                            prepare: slot.prepare.clone(),
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

fn stop_child<S>(state: &mut State, index: usize, removed: bool, ctx: &Ctx<S>) {
    if let ChildState::Parked(reply) = std::mem::replace(&mut state.slots[index].state, ChildState::Gone) {
        let _ = reply.send(Command::Stop);
    }
    if removed {
        let core = ctx.node().core();
        let child = state.slots[index].node.core().id;
        core.publish(EventKind::ChildRemoved { child });
    }
}
