//! The root of every process tree.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::BuildHasher;
use std::sync::Arc;
use std::time::Instant;

use crate::clock::{Clock, TokioClock};
use crate::error::{LookupError, RegisterError};
use crate::event::{Event, EventStream, Sink};
use crate::fault::FaultHook;
use crate::health::Checkup;
use crate::kernel::process::Handle;
use crate::kernel::process::Process;
use crate::kernel::spawn::spawn;
use crate::kernel::system::{SystemInner, start_shutdown};
use crate::options::SpawnOptions;
use crate::registry::Registry;
use crate::saga::{Saga, SagaId};

#[cfg(feature = "cluster")]
mod cluster;
#[cfg(feature = "isolated")]
pub(crate) mod isolated;

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
    registry: Registry,
    /// This node's place in its cluster, for a system that joined one.
    #[cfg(feature = "cluster")]
    node: Option<Arc<crate::cluster::Node>>,
}

impl Drop for Owner {
    fn drop(&mut self) {
        start_shutdown(&self.inner);
        #[cfg(feature = "cluster")]
        if let Some(node) = self.node.take() {
            // Released in the background: a drop cannot wait for it.
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(async move { node.leave().await });
            }
        }
    }
}

impl System {
    /// A system on the real clock, with a random seed.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime; and, as [`builder`](Self::builder), in a
    /// child OS process that skipped `serve_if_child`.
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// Configures a system: clock, event sinks, seed.
    ///
    /// # Panics
    ///
    /// With the `isolated` feature, in an OS process that phyx started to
    /// serve an isolated process and whose `main` did not call
    /// `phyx::isolated::serve_if_child` first: it would run the whole
    /// program again, unseen, as that child.
    pub fn builder() -> SystemBuilder {
        #[cfg(feature = "isolated")]
        isolated::refuse_in_a_child_that_skipped_the_entry();
        SystemBuilder {
            clock: Arc::new(TokioClock),
            sinks: Vec::new(),
            seed: None,
            faults: None,
            #[cfg(feature = "journal")]
            journal: None,
            #[cfg(feature = "cluster")]
            cluster: crate::cluster::ClusterConfig::default(),
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
    /// [`Handle::pool_status`](crate::Handle::pool_status) tells the size and how many members live.
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
    /// [`pool`](Self::pool). The same as
    /// `spawn_pool(factory, Pool::new().size(size).options(options))`.
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
        self.spawn_pool(factory, crate::pool::Pool::new().size(size).options(options))
    }

    /// Starts a pool sized and routed by `pool`: between
    /// [`Pool::min`](crate::pool::Pool::min) and
    /// [`Pool::max`](crate::pool::Pool::max) members, growing under load
    /// and shrinking after an idle timeout, each message routed by its
    /// [`Routing`](crate::pool::Routing). Everything [`pool`](Self::pool)
    /// says of members, crashes and stops holds here too; see
    /// [`phyx::pool`](crate::pool).
    ///
    /// # Panics
    ///
    /// If `min` is 0, `max` is below `min`, `grow_at` is 0, or the pool
    /// is routed by key and `max` is above `min` (a pool routed by key has
    /// a fixed size, so that each key keeps its member).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use phyx::pool::Pool;
    /// use phyx::prelude::*;
    ///
    /// #[derive(Default)]
    /// struct Parser;
    ///
    /// #[process]
    /// impl Parser {
    ///     #[public]
    ///     fn parse(&self, text: String) -> usize {
    ///         text.split_whitespace().count()
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), phyx::CallError> {
    /// let system = System::new();
    /// let parsers: ParserRef =
    ///     system.spawn_pool(|| Parser, Pool::new().min(1).max(4).idle_timeout(Duration::from_secs(30)));
    /// assert_eq!(parsers.parse("one two".into()).await?, 2);
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn spawn_pool<T: Process>(
        &self,
        factory: impl Fn() -> T + Send + Sync + 'static,
        pool: crate::pool::Pool<T::Message>,
    ) -> T::Ref {
        crate::pool::start(&self.owner.inner, factory, pool)
    }

    /// Stops every process, children before parents and later-started
    /// siblings first, running their stop hooks. Callers waiting on a
    /// stopped process get [`CallError::Stopped`](crate::CallError::Stopped);
    /// timers from [`Call::send_after`](crate::Call::send_after) and
    /// [`Call::send_every`](crate::Call::send_every) end.
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
        if crate::kernel::current::in_system(inner) {
            return;
        }
        inner.shut_down.raised().await;
        #[cfg(feature = "cluster")]
        if let Some(node) = &self.owner.node {
            node.leave().await;
        }
    }

    /// Gives the process behind `handle` a name, unique in this system, by
    /// which [`lookup`](Self::lookup) finds it.
    ///
    /// The name lasts as long as the process: it survives restarts (the
    /// handle does) and is released when the process stops for good
    /// (stopped, its restart limit reached, given up by its supervisor, the
    /// system shut down), or by [`unregister`](Self::unregister); then it
    /// may be registered again. A process has one name at a time;
    /// registering it again under the same name does nothing.
    ///
    /// On a node of a cluster (feature `cluster`), the name of a
    /// `#[process(remote)]` process is claimed cluster-wide, and
    /// [`lookup`](Self::lookup) on any node finds it; the name of any other
    /// process stays on its own node. On a system without a cluster, it
    /// completes at once.
    ///
    /// # Errors
    ///
    /// - [`RegisterError::Taken`]: another process holds the name (the
    ///   error says which).
    /// - [`RegisterError::AlreadyNamed`]: this process has another name.
    /// - [`RegisterError::Stopped`]: the process has stopped for good.
    /// - [`RegisterError::TakenElsewhere`]: a process on another live
    ///   node holds it.
    /// - [`RegisterError::Cluster`]: the cluster's registry could not be
    ///   written.
    ///
    /// # Examples
    ///
    /// ```
    /// use phyx::prelude::*;
    ///
    /// #[derive(Default)]
    /// struct Counter { count: u64 }
    ///
    /// #[process]
    /// impl Counter {
    ///     #[public]
    ///     fn increment(&mut self) -> u64 { self.count += 1; self.count }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let system = System::new();
    /// let counter = system.spawn(Counter::default);
    /// system.register("counter", &counter).await?;
    ///
    /// let found: CounterRef = system.lookup("counter").await?;
    /// assert_eq!(found.increment().await?, 1);
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn register<H: Handle>(&self, name: &str, handle: &H) -> Result<(), RegisterError> {
        self.owner.registry.register(name, handle)?;
        #[cfg(feature = "cluster")]
        if let Some(node) = &self.owner.node {
            if let Err(error) = crate::cluster::register(node, name, handle).await {
                self.owner.registry.unregister(name);
                return Err(error);
            }
        }
        Ok(())
    }

    /// The handle of the process registered as `name`, as the handle type
    /// the caller names: `system.lookup::<CounterRef>("counter")`.
    ///
    /// # Errors
    ///
    /// - [`LookupError::NotFound`]: no process has the name (any more).
    /// - [`LookupError::WrongType`]: the process is of another type; the
    ///   error names both handle types.
    /// - On a node of a cluster, for a process on another node:
    ///   [`LookupError::NotRemote`] (the handle's process is not
    ///   `#[process(remote)]`), [`LookupError::Incompatible`] (that node
    ///   runs another build of it), [`LookupError::Cluster`] (the registry
    ///   could not be read).
    ///
    /// A name held on another node gives a handle whose calls cross the
    /// cluster; it reaches the process that held the name when it was
    /// looked up. Once that process stops or its node goes down, look the
    /// name up again to reach whoever holds it next.
    pub async fn lookup<H: Handle>(&self, name: &str) -> Result<H, LookupError> {
        let found = self.owner.registry.lookup(name);
        #[cfg(feature = "cluster")]
        if let (Err(LookupError::NotFound { .. }), Some(node)) = (&found, &self.owner.node) {
            return crate::cluster::lookup(&self.owner.inner, node, name).await;
        }
        found
    }

    /// Releases `name`, so that it may be registered again; the process
    /// keeps running. Returns whether the name was registered.
    pub async fn unregister(&self, name: &str) -> bool {
        let local = self.owner.registry.unregister(name);
        #[cfg(feature = "cluster")]
        if let Some(node) = &self.owner.node {
            return crate::cluster::unregister(node, name).await || local;
        }
        local
    }

    /// A snapshot of every live process: its id, name, kind, status,
    /// parent, mailbox depth, restarts and uptime, depth first (each
    /// parent before its children, siblings in start order), so that
    /// printing it with each line indented by
    /// [`ProcessInfo::depth`](crate::ProcessInfo::depth) draws
    /// the supervision tree.
    ///
    /// ```
    /// # use phyx::prelude::*;
    /// # #[derive(Default)] struct Counter { n: u64 }
    /// # #[process] impl Counter { #[public] fn get(&self) -> u64 { self.n } }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let system = System::new();
    /// let counter = system.spawn(Counter::default);
    /// counter.get().await.unwrap();
    /// for process in system.processes() {
    ///     println!("{:indent$}{process}", "", indent = 2 * process.depth);
    /// }
    /// assert_eq!(system.processes()[0].name.as_ref(), "Counter");
    /// # system.shutdown().await;
    /// # }
    /// ```
    pub fn processes(&self) -> Vec<crate::ProcessInfo> {
        crate::kernel::view::processes(self.inner())
    }

    /// The health of every live process: awaited, it asks each process
    /// that has a `#[health_check]` at once, through its mailbox, and
    /// waits at most [`Checkup::DEFAULT_TIMEOUT`] (one second on the
    /// system's clock; [`Checkup::timeout`] sets another) for their
    /// answers. It never fails and never waits longer: a process that has
    /// not answered by then is unhealthy in the report. See
    /// [`phyx::health`](crate::health) for what it says of each process.
    ///
    /// ```
    /// use phyx::prelude::*;
    /// use phyx::health::HealthStatus;
    /// use std::time::Duration;
    ///
    /// struct Worker;
    ///
    /// #[process]
    /// impl Worker {
    ///     #[health_check]
    ///     fn health(&self) -> Health { Health::healthy() }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let system = System::new();
    /// system.spawn(|| Worker);
    /// let report = system.health().timeout(Duration::from_millis(250)).await;
    /// assert_eq!(report.status(), HealthStatus::Healthy);
    /// println!("{report}");
    /// # system.shutdown().await;
    /// # }
    /// ```
    pub fn health(&self) -> Checkup {
        Checkup::new(self.inner().clone())
    }

    /// Whether [`shutdown`](Self::shutdown) has been called.
    pub fn is_shut_down(&self) -> bool {
        self.owner.inner.shutting_down.is_raised()
    }

    /// Every event from now on, in order.
    pub fn events(&self) -> EventStream {
        self.owner.inner.subscribe()
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
        Saga::new(self.inner().clone(), id.into())
    }

    /// Opens saga `id` in the system's journal store: a [`Saga`] that
    /// keeps its progress there and resumes after its OS process dies. A
    /// new id starts a new saga; an id the store has a journal for resumes
    /// it, as [`JournaledSaga::resume`](crate::saga::JournaledSaga::resume)
    /// says. See [`JournaledSaga`](crate::saga::JournaledSaga). Feature
    /// `journal`.
    ///
    /// # Errors
    ///
    /// [`SagaJournalError::NoStore`](crate::saga::SagaJournalError::NoStore)
    /// without a store ([`SystemBuilder::journal`]);
    /// [`AlreadyOpen`](crate::saga::SagaJournalError::AlreadyOpen) while
    /// this system has the saga open (or is compensating it);
    /// [`Journal`](crate::saga::SagaJournalError::Journal) if the store
    /// fails or its journal does not read back.
    #[cfg(feature = "journal")]
    pub async fn journaled_saga(
        &self,
        id: impl Into<SagaId>,
    ) -> Result<crate::saga::JournaledSaga, crate::saga::SagaJournalError> {
        crate::saga::JournaledSaga::open(self.inner().clone(), id.into()).await
    }

    /// The journaled sagas in the system's journal store that have not
    /// ended (committed, or every compensation finished), oldest first:
    /// what a program resumes when it starts, by opening each with
    /// [`journaled_saga`](Self::journaled_saga) and running its code.
    /// Feature `journal`.
    ///
    /// Started means its first step was about to be sent; a saga this
    /// system has open right now is listed too.
    ///
    /// # Errors
    ///
    /// [`SagaJournalError::NoStore`](crate::saga::SagaJournalError::NoStore)
    /// without a store; [`Journal`](crate::saga::SagaJournalError::Journal)
    /// if the store fails or the index does not read back.
    #[cfg(feature = "journal")]
    pub async fn unfinished_sagas(&self) -> Result<Vec<SagaId>, crate::saga::SagaJournalError> {
        crate::saga::unfinished(self.inner()).await
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
    #[cfg(feature = "journal")]
    journal: Option<Arc<dyn crate::journal::Journal>>,
    #[cfg(feature = "cluster")]
    cluster: crate::cluster::ClusterConfig,
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

    /// Keeps the journals of the system's event-sourced processes
    /// (`#[process(journal)]`) in `store`: a
    /// [`FileJournal`](crate::journal::FileJournal) on this machine, a
    /// [`MemoryJournal`](crate::journal::MemoryJournal) in tests, or any
    /// [`Journal`](crate::journal::Journal). Feature `journal`.
    ///
    /// A system that joins a cluster (`connect`, with the `cluster`
    /// feature) without one keeps them in the cluster's JetStream
    /// (`phyx::cluster::JetStreamJournal`), where a process registered
    /// again on another node finds its journal. Given one, the system uses it, cluster or
    /// not. Without either, an event-sourced process fails its start with
    /// an error that says to call this.
    #[cfg(feature = "journal")]
    pub fn journal(mut self, store: impl crate::journal::Journal) -> Self {
        self.journal = Some(Arc::new(store));
        self
    }

    /// Consults `hook` before every handler runs, to inject faults; for
    /// test kits (feature `test-util`).
    #[cfg(feature = "test-util")]
    pub fn fault_hook(mut self, hook: Arc<dyn FaultHook>) -> Self {
        self.faults = Some(hook);
        self
    }

    /// The system.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime.
    pub fn build(self) -> System {
        #[cfg(feature = "cluster")]
        if self.cluster.node.is_some() || !self.cluster.servers.is_empty() {
            tracing::warn!(
                target: "phyx",
                "a node or cluster was given to a builder that builds a local system: call `.connect().await` to join the cluster"
            );
        }
        self.build_inner()
    }

    fn build_inner(self) -> System {
        let runtime = tokio::runtime::Handle::try_current()
            .expect("phyx::System must be built inside a tokio runtime (e.g. in `#[tokio::main]`)");
        let seed = self.seed.unwrap_or_else(|| RandomState::new().hash_one(0u8));
        let inner = Arc::new(SystemInner::new(self.clock, self.sinks, seed, self.faults, runtime));
        #[cfg(feature = "journal")]
        if let Some(store) = self.journal {
            crate::journal::Journals::attach(&inner, store);
        }
        System {
            owner: Arc::new(Owner {
                inner,
                registry: Registry::default(),
                #[cfg(feature = "cluster")]
                node: None,
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
