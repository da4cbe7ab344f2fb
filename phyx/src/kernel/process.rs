//! What the macros implement: processes, their messages and their handles.

use std::future::Future;

use crate::event::StopReason;
use crate::id::ProcessId;
use crate::kernel::addr::Addr;
use crate::kernel::ctx::Ctx;
use crate::kernel::health::HealthReply;
use crate::kernel::link::SupervisorSpec;
use crate::kernel::reply::{NoReply, Panic};
use crate::kernel::wire::Wire;
use crate::options::SpawnOptions;
use crate::resilience::GuardSpec;
use crate::trace::Traced;

/// A type whose `impl` block carries `#[phyx::process]`.
///
/// Implemented by the macro, never by hand. Name it in generic code that
/// spawns or holds any process: `fn start<P: Process>(...) -> P::Ref`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a phyx process",
    label = "not a process",
    note = "add `#[phyx::process]` to the `impl` block of `{Self}` that holds its `#[public]` methods"
)]
pub trait Process: Sized + Send + 'static {
    /// The generated message enum (`CounterMsg` for `Counter`).
    type Message: Message;

    /// The generated handle (`CounterRef` for `Counter`).
    type Ref: Handle<Message = Self::Message>;

    /// The type's name, the default process name.
    const NAME: &'static str;

    #[doc(hidden)]
    const __GUARDS: &'static [GuardSpec] = &[];

    /// How many of its methods are `#[cache]`d.
    #[doc(hidden)]
    const __CACHES: usize = 0;

    /// The options written in `#[process(...)]`.
    fn options() -> SpawnOptions {
        SpawnOptions::new()
    }

    #[doc(hidden)]
    fn __handle<'a>(
        &'a mut self,
        ctx: &'a mut Ctx<Self>,
        message: Self::Message,
    ) -> impl Future<Output = Result<(), Panic>> + Send + 'a;

    #[doc(hidden)]
    fn __supervision() -> Option<SupervisorSpec<Self>> {
        None
    }

    /// Rebuilds an event-sourced process's state from its journal, before
    /// its start hook; `#[process(journal)]` implements it.
    #[doc(hidden)]
    fn __recover<'a>(&'a mut self, _ctx: &'a mut Ctx<Self>) -> impl Future<Output = Result<(), String>> + Send + 'a {
        async { Ok(()) }
    }

    #[doc(hidden)]
    fn __on_start<'a>(&'a mut self, _ctx: &'a mut Ctx<Self>) -> impl Future<Output = Result<(), String>> + Send + 'a {
        async { Ok(()) }
    }

    #[doc(hidden)]
    fn __on_stop<'a>(
        &'a mut self,
        _ctx: &'a mut Ctx<Self>,
        _reason: StopReason,
    ) -> impl Future<Output = ()> + Send + 'a {
        async {}
    }
}

/// The message enum generated for a process: one variant per `#[public]`
/// method.
pub trait Message: Send + 'static {
    /// The names of the process's `#[public]` methods, in declaration order.
    const METHODS: &'static [&'static str];

    /// The name of the method this message invokes.
    fn method(&self) -> &'static str;

    #[doc(hidden)]
    fn __no_reply(self, why: NoReply);

    /// A copy of this message, without its reply, if its arguments are
    /// `Clone`: the next tick of `send_every`.
    #[doc(hidden)]
    fn __rebuild(&self) -> Option<Self>
    where
        Self: Sized,
    {
        None
    }

    /// The constructor of the hidden message that runs the process's
    /// `#[health_check]`; `None` for a process without one, which
    /// `System::health` then asks nothing.
    #[doc(hidden)]
    fn __health() -> Option<fn(HealthReply) -> Self>
    where
        Self: Sized,
    {
        None
    }

    /// The slot of what a traced method's message carries from its
    /// caller (`phyx::trace`): filled as the call goes, or from a
    /// `traceparent` header on a message from another node; the generated
    /// handler opens its scope and span from it. `None` for a method
    /// without `#[trace]`, and for every message of a process without
    /// traced methods (this default, which costs nothing).
    #[doc(hidden)]
    fn __trace(&mut self) -> Option<&mut Option<Traced>> {
        None
    }

    /// How the messages cross to another node; `None` for a process
    /// without `#[process(remote)]`, which stays on its own node.
    #[doc(hidden)]
    fn __wire() -> Option<Wire<Self>>
    where
        Self: Sized,
    {
        None
    }
}

/// What every generated handle (`CounterRef`) can do besides calling
/// methods: lifecycle operations.
///
/// These live on a trait so that a process may have `#[public]` methods
/// named `stop`, `status` or `id`: the handle's own methods win, and the
/// lifecycle stays reachable as `Handle::stop(&handle)`.
pub trait Handle: Clone + Send + Sync + 'static {
    /// The messages of the process this handle addresses.
    type Message: Message;

    #[doc(hidden)]
    fn __addr(&self) -> &Addr<Self::Message>;

    #[doc(hidden)]
    fn __from_addr(addr: Addr<Self::Message>) -> Self;

    /// The process's id, unique within its system.
    fn id(&self) -> ProcessId {
        self.__addr().core().id
    }

    /// The process's name.
    fn name(&self) -> &str {
        &self.__addr().core().name
    }

    /// Where the process is in its life.
    fn status(&self) -> Status {
        self.__addr().core().status()
    }

    /// Messages waiting in the mailbox.
    fn queued(&self) -> usize {
        self.__addr().queued()
    }

    /// For the handle of a pool ([`System::pool`](crate::System::pool),
    /// [`System::spawn_pool`](crate::System::spawn_pool)): its size, its
    /// live members and each member's queue; `None` for any other process.
    ///
    /// # Examples
    ///
    /// ```
    /// use phyx::prelude::*;
    ///
    /// #[derive(Default)]
    /// struct Worker;
    ///
    /// #[process]
    /// impl Worker {
    ///     #[public]
    ///     fn work(&self) {}
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let system = System::new();
    /// let workers: WorkerRef = system.pool(3, || Worker);
    /// let status = workers.pool_status().unwrap();
    /// assert_eq!((status.size, status.live), (3, 3));
    /// assert_eq!(status.members[0].name, "Worker[0]");
    /// assert_eq!(system.spawn(|| Worker).pool_status(), None);
    /// # system.shutdown().await;
    /// # }
    /// ```
    fn pool_status(&self) -> Option<PoolStatus> {
        Some(self.__addr().core().pool.get()?.status())
    }

    /// Stops the process (reason [`StopReason::Shutdown`]) and its children,
    /// and resolves once it has stopped. It is not restarted.
    ///
    /// The message being handled may finish, within the process's shutdown
    /// timeout; queued messages are not handled and their callers get
    /// [`CallError::Stopped`](crate::CallError::Stopped).
    ///
    /// Awaited inside a handler of the process itself, or of one of its
    /// descendants (which stop with it), it requests the stop and resolves
    /// at once: waiting there would wait for the handler doing the waiting.
    /// The process then stops when that handler returns. (Inside the
    /// process's own handlers, [`Ctx::stop`] says the same more plainly.)
    fn stop(&self) -> impl Future<Output = ()> + Send + 'static {
        let node = self.__addr().node();
        async move {
            node.request_stop();
            if !crate::kernel::current::is_within(node.core()) {
                node.core().stopped().await;
            }
        }
    }

    /// Resolves once the process has stopped for good, with why; at once
    /// if it has already. A restart is not a stop: it waits on through
    /// every restart. The outside world's [`Ctx::watch`]: it requests
    /// nothing, and dropping it cancels nothing.
    ///
    /// Awaited in a handler of the process itself, it waits for the very
    /// handler doing the waiting; a process watches with [`Ctx::watch`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it only waits.
    ///
    /// # Examples
    ///
    /// ```
    /// use phyx::prelude::*;
    /// use phyx::StopReason;
    ///
    /// #[derive(Default)]
    /// struct Job;
    ///
    /// #[process]
    /// impl Job {
    ///     #[public]
    ///     fn finish(&self, ctx: &mut Ctx<Self>) { ctx.stop(); }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), phyx::CallError> {
    /// let system = System::new();
    /// let job = system.spawn(|| Job);
    /// job.finish().send()?;
    /// assert_eq!(job.stopped().await, StopReason::Normal);
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    fn stopped(&self) -> impl Future<Output = StopReason> + Send + 'static {
        crate::kernel::watch::stopped(self.__addr().node())
    }
}

/// Where a process is in its life; see [`Handle::status`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Status {
    /// Building its state or running its start hook.
    Starting,
    /// Handling messages, or waiting for one.
    Running,
    /// Crashed, waiting out its backoff; messages still queue.
    Restarting,
    /// Finishing its last message and running its stop hook.
    Stopping,
    /// Stopped for good.
    Stopped,
}

impl Status {
    pub(crate) fn from_u8(value: u8) -> Self {
        match value {
            0 => Self::Starting,
            1 => Self::Running,
            2 => Self::Restarting,
            3 => Self::Stopping,
            _ => Self::Stopped,
        }
    }

    pub(crate) fn as_u8(self) -> u8 {
        match self {
            Self::Starting => 0,
            Self::Running => 1,
            Self::Restarting => 2,
            Self::Stopping => 3,
            Self::Stopped => 4,
        }
    }
}

/// A pool's members and their load; from [`Handle::pool_status`].
///
/// A snapshot: the members keep working while it is read.
///
/// # Examples
///
/// ```
/// use phyx::pool::Pool;
/// use phyx::prelude::*;
///
/// #[derive(Default)]
/// struct Worker;
///
/// #[process]
/// impl Worker {
///     #[public]
///     fn work(&self) {}
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let system = System::new();
/// let workers: WorkerRef = system.spawn_pool(|| Worker, Pool::new().min(2).max(4));
/// let status = workers.pool_status().unwrap();
/// assert_eq!((status.size, status.live, status.min, status.max), (2, 2, 2, 4));
/// let waiting: usize = status.members.iter().map(|member| member.queued).sum();
/// assert_eq!(waiting, 0);
/// # system.shutdown().await;
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct PoolStatus {
    /// Members the pool has now: started and not retired. A member that
    /// stopped for good counts until the pool shrinks; in a fixed-size
    /// pool it always does.
    pub size: usize,
    /// Members that have not stopped for good: running, or restarting by
    /// their policy. Calls go to these only.
    pub live: usize,
    /// The fewest members the pool shrinks to.
    pub min: usize,
    /// The most members the pool grows to (`min` for a fixed size).
    pub max: usize,
    /// Each member, oldest first.
    pub members: Vec<PoolMember>,
}

/// One member of a pool, in [`PoolStatus::members`].
///
/// # Examples
///
/// ```
/// use phyx::prelude::*;
/// use phyx::Status;
///
/// #[derive(Default)]
/// struct Worker;
///
/// #[process]
/// impl Worker {
///     #[public]
///     fn work(&self) {}
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let system = System::new();
/// let workers: WorkerRef = system.pool(2, || Worker);
/// workers.work().await.unwrap();
/// for member in workers.pool_status().unwrap().members {
///     assert_ne!(member.status, Status::Stopped);
///     println!("{}: {} waiting, busy: {}", member.name, member.queued, member.busy);
/// }
/// # system.shutdown().await;
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct PoolMember {
    /// Its process name, `"{pool}[{n}]"`.
    pub name: String,
    /// Where it is in its life; [`Status::Stopped`] once it has stopped
    /// for good.
    pub status: Status,
    /// Messages waiting in its mailbox.
    pub queued: usize,
    /// Whether it is handling a message.
    pub busy: bool,
}
