//! The root of every process tree.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::future::Future;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use crate::addr::{Addr, Shared};
use crate::clock::{Clock, TokioClock};
use crate::ctx::Ctx;
use crate::event::{Event, EventHub, EventKind, EventStream, Sink};
use crate::fault::FaultHook;
use crate::mailbox::Mailbox;
use crate::node::{Children, Core, Flag, Node};
use crate::options::{Settings, SpawnOptions};
use crate::process::{Handle, Message, Process, ProcessId, Status};
use crate::rng::SplitMix64;
use crate::run::run;
use crate::saga::{Saga, SagaId};
use crate::supervisor;

/// A process system: the root supervisor, its clock and its events.
///
/// Cheap to clone; every clone is the same system.
///
/// # Examples
///
/// ```
/// use phyx::prelude::*;
///
/// #[derive(Default)]
/// struct Greeter;
///
/// #[process]
/// impl Greeter {
///     #[public]
///     fn greet(&self, name: String) -> String {
///         format!("hello, {name}")
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), phyx::CallError> {
/// let system = System::new();
/// let greeter = system.spawn(|| Greeter);
/// assert_eq!(greeter.greet("ada".into()).await?, "hello, ada");
/// system.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct System {
    owner: Arc<Owner>,
}

/// What every clone of a [`System`] shares: when the last one is dropped,
/// the system shuts down. Processes hold the [`SystemInner`] alone, so they
/// do not keep their own system alive.
struct Owner {
    inner: Arc<SystemInner>,
}

impl Drop for Owner {
    fn drop(&mut self) {
        start_shutdown(&self.inner);
    }
}

pub(crate) struct SystemInner {
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) root: Children,
    events: EventHub,
    rng: Mutex<SplitMix64>,
    seed: u64,
    next_id: AtomicU64,
    shutting_down: Flag,
    /// Raised once a shutdown has stopped every process.
    shut_down: Flag,
    runtime: tokio::runtime::Handle,
    pub(crate) faults: Option<Arc<dyn FaultHook>>,
}

impl System {
    /// A system on the real clock, with a random seed.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime.
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// Configures a system: clock, event sinks, seed.
    pub fn builder() -> SystemBuilder {
        SystemBuilder {
            clock: Arc::new(TokioClock),
            sinks: Vec::new(),
            seed: None,
            faults: None,
        }
    }

    /// Starts a process and returns its handle at once.
    ///
    /// `factory` builds the process's state, at start and again at every
    /// restart. Options come from `#[process(...)]`, then phyx's defaults.
    /// On a system that has shut down, the process stops at once and every
    /// call to it fails with [`CallError::Stopped`](crate::CallError::Stopped).
    pub fn spawn<T: Process>(&self, factory: impl Fn() -> T + Send + Sync + 'static) -> T::Ref {
        self.spawn_with(factory, SpawnOptions::new())
    }

    /// Starts a process with options that override its `#[process(...)]`
    /// ones.
    pub fn spawn_with<T: Process>(
        &self,
        factory: impl Fn() -> T + Send + Sync + 'static,
        options: SpawnOptions,
    ) -> T::Ref {
        spawn(&self.owner.inner, None, factory, options)
    }

    /// Starts a pool of `size` instances of a process behind one handle of
    /// the process's own type: each call goes to the running member with
    /// the fewest messages waiting (an idle one first). Members that crash
    /// restart by their policy, so the pool keeps its size; one that stops
    /// for good (past its restart limit) gets no more calls, and once every
    /// member has, the pool stops too and calls fail with
    /// [`CallError::Stopped`](crate::CallError::Stopped).
    /// [`Handle::pool_status`] tells the size and how many members live.
    ///
    /// The pool's mailbox takes the process's mailbox options; each member
    /// has a mailbox of the same capacity, under backpressure. Stopping the
    /// pool stops its members, each within its shutdown timeout, however
    /// busy they are. A member that asks its own pool may be handed its
    /// own call and wait for itself: bound such asks with a timeout.
    ///
    /// # Panics
    ///
    /// If `size` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use phyx::prelude::*;
    ///
    /// #[derive(Default)]
    /// struct Hasher;
    ///
    /// #[process]
    /// impl Hasher {
    ///     #[public]
    ///     fn hash(&self, data: Vec<u8>) -> u64 {
    ///         data.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3))
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let system = System::new();
    /// let hashers: HasherRef = system.pool(4, || Hasher);
    /// let hash = hashers.hash(b"phyx".to_vec()).await.unwrap();
    /// # let _ = hash;
    /// # system.shutdown().await;
    /// # }
    /// ```
    pub fn pool<T: Process>(&self, size: usize, factory: impl Fn() -> T + Send + Sync + 'static) -> T::Ref {
        self.pool_with(size, factory, SpawnOptions::new())
    }

    /// A pool with options for the pool and its members; see
    /// [`pool`](Self::pool).
    ///
    /// # Panics
    ///
    /// If `size` is 0.
    pub fn pool_with<T: Process>(
        &self,
        size: usize,
        factory: impl Fn() -> T + Send + Sync + 'static,
        options: SpawnOptions,
    ) -> T::Ref {
        crate::pool::pool(&self.owner.inner, size, factory, options)
    }

    /// Stops every process, children before parents and later-started
    /// siblings first, running their stop hooks. Callers waiting on a
    /// stopped process get [`CallError::Stopped`](crate::CallError::Stopped);
    /// timers from [`Call::send_after`](crate::Call::send_after) are dropped.
    ///
    /// Each process gets its shutdown timeout to finish its current
    /// message and again to run its stop hook; past that it is abandoned,
    /// so shutdown finishes in bounded time. (A handler that blocks its
    /// thread without ever yielding to the runtime cannot be abandoned.)
    ///
    /// Once started, a shutdown runs to the end, in a task of its own:
    /// dropping this future does not stop it halfway. Awaited inside a
    /// handler (or hook) of one of the system's own processes, it starts
    /// the shutdown and resolves at once, because waiting there would wait
    /// for the very handler doing the waiting; that process stops once the
    /// handler returns. To shut down from a handler, `system.shutdown().await`
    /// and return.
    ///
    /// Dropping the last clone of a `System` starts a shutdown too, as
    /// dropping a tokio `Runtime` stops its tasks; only awaiting this
    /// future waits for it to finish.
    pub async fn shutdown(&self) {
        let inner = self.inner();
        start_shutdown(inner);
        if crate::current::in_system(|core| Arc::ptr_eq(&core.system, inner)) {
            return;
        }
        inner.shut_down.raised().await;
    }

    /// Whether [`shutdown`](Self::shutdown) has been called.
    pub fn is_shut_down(&self) -> bool {
        self.owner.inner.shutting_down.is_raised()
    }

    /// Every event from now on, in order.
    pub fn events(&self) -> EventStream {
        self.owner.inner.events.subscribe()
    }

    /// The current instant on the system's clock.
    pub fn now(&self) -> Instant {
        self.owner.inner.clock.now()
    }

    /// The system's clock.
    pub fn clock(&self) -> Arc<dyn Clock> {
        self.owner.inner.clock.clone()
    }

    /// The seed of the system's random draws (backoff jitter); pass it to
    /// [`SystemBuilder::seed`] to replay them.
    pub fn seed(&self) -> u64 {
        self.owner.inner.seed
    }

    /// Starts a saga named `id`: steps across processes, compensated in
    /// reverse order when one fails. See [`Saga`].
    pub fn saga(&self, id: impl Into<SagaId>) -> Saga {
        Saga::new(self.clone(), id.into())
    }

    pub(crate) fn inner(&self) -> &Arc<SystemInner> {
        &self.owner.inner
    }
}

impl Default for System {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for System {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("System")
            .field("clock", &self.owner.inner.clock)
            .field("seed", &self.owner.inner.seed)
            .field("shut_down", &self.is_shut_down())
            .finish_non_exhaustive()
    }
}

/// Builds a [`System`]; from [`System::builder`].
#[must_use = "call `.build()` to get the system"]
pub struct SystemBuilder {
    clock: Arc<dyn Clock>,
    sinks: Vec<Sink>,
    seed: Option<u64>,
    faults: Option<Arc<dyn FaultHook>>,
}

impl SystemBuilder {
    /// The clock every timer reads (default [`TokioClock`]).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Calls `sink` with every event, in order, on the thread where it
    /// happens. Keep it quick: it runs inside the runtime. A panic in
    /// `sink` is caught and logged (`tracing`, target `phyx`); that event
    /// is lost to this sink, and the sink keeps receiving the next ones.
    pub fn on_event(mut self, sink: impl Fn(&Event) + Send + Sync + 'static) -> Self {
        self.sinks.push(Arc::new(sink));
        self
    }

    /// Seeds the system's random draws (backoff jitter), so that a run
    /// can be replayed. Default: a random seed, readable with
    /// [`System::seed`].
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    #[doc(hidden)]
    pub fn __fault_hook(mut self, hook: Arc<dyn FaultHook>) -> Self {
        self.faults = Some(hook);
        self
    }

    /// The system.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime.
    pub fn build(self) -> System {
        let runtime = tokio::runtime::Handle::try_current()
            .expect("phyx::System must be built inside a tokio runtime (e.g. in `#[tokio::main]`)");
        let seed = self.seed.unwrap_or_else(|| RandomState::new().hash_one(0u8));
        System {
            owner: Arc::new(Owner {
                inner: Arc::new(SystemInner {
                    clock: self.clock,
                    root: Children::default(),
                    events: EventHub::new(self.sinks),
                    rng: Mutex::new(SplitMix64::new(seed)),
                    seed,
                    next_id: AtomicU64::new(1),
                    shutting_down: Flag::default(),
                    shut_down: Flag::default(),
                    runtime,
                    faults: self.faults,
                }),
            }),
        }
    }
}

impl fmt::Debug for SystemBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SystemBuilder")
            .field("clock", &self.clock)
            .field("seed", &self.seed)
            .finish_non_exhaustive()
    }
}

impl SystemInner {
    pub(crate) fn publish(&self, process: ProcessId, name: &Arc<str>, kind: EventKind) {
        self.events.publish(Event {
            at: self.clock.now(),
            process,
            name: name.clone(),
            kind,
        });
    }

    pub(crate) fn next_id(&self) -> ProcessId {
        ProcessId(self.next_id.fetch_add(1, Ordering::Relaxed))
    }

    pub(crate) fn spawn_task(&self, task: impl Future<Output = ()> + Send + 'static) {
        self.runtime.spawn(task);
    }

    /// A uniform draw in `0.0..1.0` from the system's seed.
    pub(crate) fn random(&self) -> f64 {
        self.rng.lock().unwrap_or_else(PoisonError::into_inner).next_f64()
    }

    /// Runs a timer task that the system's shutdown cancels.
    pub(crate) fn spawn_timer(self: &Arc<Self>, timer: impl Future<Output = ()> + Send + 'static) {
        let system = self.clone();
        self.runtime.spawn(async move {
            tokio::select! {
                () = timer => {}
                () = system.shutting_down.raised() => {}
            }
        });
    }
}

/// Starts shutting the system down, in a task of its own so that nothing
/// can abandon it halfway; a second call finds it started.
fn start_shutdown(inner: &Arc<SystemInner>) {
    if inner.shutting_down.raise_once() {
        let inner = inner.clone();
        inner.clone().runtime.spawn(async move {
            inner.root.stop_all().await;
            inner.events.close();
            inner.shut_down.raise();
        });
    }
}

/// A process outside the tree that no task runs; see
/// `__private::detached`.
pub(crate) fn detached<T: Process>(system: &System, name: &str) -> (Ctx<T>, Addr<T::Message>) {
    let settings = SpawnOptions::new().name(name).or(T::options()).resolve(T::NAME);
    let inner = system.inner();
    let shared = Arc::new(Shared {
        core: Core::new(inner.next_id(), settings.name, inner.clone(), None),
        mailbox: Mailbox::new(settings.mailbox, settings.overflow),
    });
    shared.core.set_status(Status::Running);
    (Ctx::new(shared.clone()), Addr::new(shared))
}

/// Registers and starts a process under `parent` (the root when `None`).
pub(crate) fn spawn<T: Process>(
    system: &Arc<SystemInner>,
    parent: Option<Arc<dyn Node>>,
    factory: impl Fn() -> T + Send + Sync + 'static,
    options: SpawnOptions,
) -> T::Ref {
    let settings = options.or(T::options()).resolve(T::NAME);
    let shared = register(system, parent, &settings);
    install_guards::<T>(system, &shared.core);
    if let Some(spec) = T::__supervision() {
        supervisor::reserve(system, &shared, spec);
    }
    system
        .runtime
        .spawn(run(shared.clone(), move || Ok(factory()), settings));
    T::Ref::__from_addr(Addr::new(shared))
}

/// Builds the rate limits and breakers `T` declares; they live as long as
/// the process, across its restarts.
pub(crate) fn install_guards<T: Process>(system: &Arc<SystemInner>, core: &Core) {
    if !T::__GUARDS.is_empty() {
        let _ = core.guards.set(crate::guard::build(&system.clock, T::__GUARDS));
    }
}

/// Creates a process's address and puts it in the tree under `parent`.
pub(crate) fn register<M: Message>(
    system: &Arc<SystemInner>,
    parent: Option<Arc<dyn Node>>,
    settings: &Settings,
) -> Arc<Shared<M>> {
    let id = system.next_id();
    let parent_id = parent.as_ref().map(|parent| parent.core().id);
    let shared = Arc::new(Shared {
        core: Core::new(id, settings.name.clone(), system.clone(), parent),
        mailbox: Mailbox::new(settings.mailbox, settings.overflow),
    });
    shared.core.siblings().insert(shared.clone());
    // Checked after inserting: a parent that starts stopping from now on
    // finds this child in its list, one that already has is caught here.
    let parent_stopping = match &shared.core.parent {
        Some(parent) => parent.core().stop_requested(),
        None => system.shutting_down.is_raised(),
    };
    if parent_stopping {
        shared.request_stop();
    }
    system.publish(id, &settings.name, EventKind::Spawned { parent: parent_id });
    shared
}
