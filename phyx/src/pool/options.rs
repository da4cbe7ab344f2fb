//! How a pool is sized and routed: [`Pool`] and [`Routing`].

use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use crate::options::SpawnOptions;

/// How a pool started with [`System::spawn_pool`](crate::System::spawn_pool)
/// is sized and routed, and the options of its members.
///
/// A pool starts [`min`](Self::min) members. When a message arrives and
/// every live member has at least [`grow_at`](Self::grow_at) messages in
/// hand (handling one counts), the pool starts one more, up to
/// [`max`](Self::max), and gives it the message. A member that has been
/// given nothing for [`idle_timeout`](Self::idle_timeout) (on the
/// system's clock), and has nothing in hand when the pool looks, is
/// retired, down to `min`. Retiring never loses a message: the pool only
/// retires a member that is idle with an empty mailbox, and stops routing
/// to it first; anything that still reached its mailbox goes back to the
/// pool for the others. With `min == max` (the default: one member, or
/// [`size`](Self::size)) the pool keeps its size.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use phyx::pool::{Pool, Routing};
/// use phyx::prelude::*;
///
/// #[derive(Default)]
/// struct Resizer;
///
/// #[process]
/// impl Resizer {
///     #[public]
///     fn resize(&self, width: u32, height: u32) -> u64 {
///         u64::from(width) * u64::from(height)
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), phyx::CallError> {
/// let system = System::new();
/// let pool = Pool::new()
///     .min(2)
///     .max(8)
///     .idle_timeout(Duration::from_secs(30))
///     .routing(Routing::round_robin());
/// let resizers: ResizerRef = system.spawn_pool(Resizer::default, pool);
/// assert_eq!(resizers.resize(4, 3).await?, 12);
/// # system.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[must_use = "pass the pool to `System::spawn_pool`"]
pub struct Pool<M> {
    pub(crate) min: usize,
    pub(crate) max: Option<usize>,
    pub(crate) grow_at: usize,
    pub(crate) idle_timeout: Duration,
    pub(crate) routing: Routing<M>,
    pub(crate) options: SpawnOptions,
}

impl<M> Pool<M> {
    /// How long a member of a resizable pool may go without a message
    /// before it is retired, unless set with
    /// [`idle_timeout`](Self::idle_timeout): one minute.
    pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

    /// One member, least-loaded routing, the process's own options.
    ///
    /// # Examples
    ///
    /// ```
    /// use phyx::pool::Pool;
    /// # #[derive(Default)] struct Echo;
    /// # #[phyx::process] impl Echo { #[public] fn echo(&self, n: u32) -> u32 { n } }
    ///
    /// let pool: Pool<EchoMsg> = Pool::new().size(4);
    /// # let _ = pool;
    /// ```
    pub fn new() -> Self {
        Self {
            min: 1,
            max: None,
            grow_at: 1,
            idle_timeout: Self::DEFAULT_IDLE_TIMEOUT,
            routing: Routing::least_loaded(),
            options: SpawnOptions::new(),
        }
    }

    /// A fixed size: `min` and `max` both `size`.
    ///
    /// # Examples
    ///
    /// ```
    /// use phyx::pool::Pool;
    /// # #[derive(Default)] struct Echo;
    /// # #[phyx::process] impl Echo { #[public] fn echo(&self, n: u32) -> u32 { n } }
    ///
    /// let pool: Pool<EchoMsg> = Pool::new().size(4);
    /// # let _ = pool;
    /// ```
    pub fn size(self, size: usize) -> Self {
        self.min(size).max(size)
    }

    /// The members the pool starts with and never shrinks below
    /// (default 1).
    ///
    /// # Examples
    ///
    /// ```
    /// use phyx::pool::Pool;
    /// # #[derive(Default)] struct Echo;
    /// # #[phyx::process] impl Echo { #[public] fn echo(&self, n: u32) -> u32 { n } }
    ///
    /// let pool: Pool<EchoMsg> = Pool::new().min(2).max(8);
    /// # let _ = pool;
    /// ```
    pub fn min(mut self, min: usize) -> Self {
        self.min = min;
        self
    }

    /// The members the pool never grows past (default: `min`, a fixed
    /// size).
    ///
    /// # Examples
    ///
    /// ```
    /// use phyx::pool::Pool;
    /// # #[derive(Default)] struct Echo;
    /// # #[phyx::process] impl Echo { #[public] fn echo(&self, n: u32) -> u32 { n } }
    ///
    /// let pool: Pool<EchoMsg> = Pool::new().min(1).max(16);
    /// # let _ = pool;
    /// ```
    pub fn max(mut self, max: usize) -> Self {
        self.max = Some(max);
        self
    }

    /// The load at which the pool grows (default 1): when a message
    /// arrives and every live member has at least `load` messages in hand
    /// (waiting in its mailbox, plus the one it is handling), and the pool
    /// is below [`max`](Self::max), it starts a member for the message.
    /// With the default, the pool grows as soon as no member is idle.
    ///
    /// # Examples
    ///
    /// ```
    /// use phyx::pool::Pool;
    /// # #[derive(Default)] struct Echo;
    /// # #[phyx::process] impl Echo { #[public] fn echo(&self, n: u32) -> u32 { n } }
    ///
    /// // Let each member have up to 3 messages waiting behind its current one.
    /// let pool: Pool<EchoMsg> = Pool::new().min(1).max(4).grow_at(4);
    /// # let _ = pool;
    /// ```
    pub fn grow_at(mut self, load: usize) -> Self {
        self.grow_at = load;
        self
    }

    /// How long a member may go without being given a message before the
    /// pool retires it, if the pool is above [`min`](Self::min) and the
    /// member has nothing in hand (default
    /// [`DEFAULT_IDLE_TIMEOUT`](Self::DEFAULT_IDLE_TIMEOUT)). Measured on
    /// the system's clock, so a test kit's virtual time drives it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use phyx::pool::Pool;
    /// # #[derive(Default)] struct Echo;
    /// # #[phyx::process] impl Echo { #[public] fn echo(&self, n: u32) -> u32 { n } }
    ///
    /// let pool: Pool<EchoMsg> = Pool::new().min(1).max(4).idle_timeout(Duration::from_secs(5));
    /// # let _ = pool;
    /// ```
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Which member gets each message (default
    /// [`Routing::least_loaded`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use phyx::pool::{Pool, Routing};
    /// # #[derive(Default)] struct Echo;
    /// # #[phyx::process] impl Echo { #[public] fn echo(&self, n: u32) -> u32 { n } }
    ///
    /// let pool: Pool<EchoMsg> = Pool::new().size(4).routing(Routing::round_robin());
    /// # let _ = pool;
    /// ```
    pub fn routing(mut self, routing: Routing<M>) -> Self {
        self.routing = routing;
        self
    }

    /// Options for the pool and its members, over the process's
    /// `#[process(...)]` ones. The pool's mailbox takes the mailbox
    /// options; each member gets a mailbox of the same capacity, under
    /// backpressure, and the name `"{name}[{n}]"`, `n` counting every
    /// member the pool has started.
    ///
    /// # Examples
    ///
    /// ```
    /// use phyx::pool::Pool;
    /// use phyx::SpawnOptions;
    /// # #[derive(Default)] struct Echo;
    /// # #[phyx::process] impl Echo { #[public] fn echo(&self, n: u32) -> u32 { n } }
    ///
    /// let pool: Pool<EchoMsg> = Pool::new().size(2).options(SpawnOptions::new().name("echo").mailbox(64));
    /// # let _ = pool;
    /// ```
    pub fn options(mut self, options: SpawnOptions) -> Self {
        self.options = options;
        self
    }

    /// `max` resolved, checked against `min`.
    pub(crate) fn bounds(&self) -> (usize, usize) {
        let max = self.max.unwrap_or(self.min);
        assert!(
            self.min > 0,
            "System::spawn_pool: a pool needs at least one member (`min` is 0)"
        );
        assert!(
            max >= self.min,
            "System::spawn_pool: `max` ({max}) is below `min` ({})",
            self.min
        );
        assert!(self.grow_at > 0, "System::spawn_pool: `grow_at` must be at least 1");
        assert!(
            max == self.min || !matches!(self.routing.kind, Kind::ByKey(_)),
            "System::spawn_pool: a pool routed by key has a fixed size (`min` == `max`), so that each key keeps its member"
        );
        (self.min, max)
    }
}

impl<M> Default for Pool<M> {
    fn default() -> Self {
        Self::new()
    }
}

impl<M> Clone for Pool<M> {
    fn clone(&self) -> Self {
        Self {
            min: self.min,
            max: self.max,
            grow_at: self.grow_at,
            idle_timeout: self.idle_timeout,
            routing: self.routing.clone(),
            options: self.options.clone(),
        }
    }
}

impl<M> fmt::Debug for Pool<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("min", &self.min)
            .field("max", &self.max.unwrap_or(self.min))
            .field("grow_at", &self.grow_at)
            .field("idle_timeout", &self.idle_timeout)
            .field("routing", &self.routing)
            .field("options", &self.options)
            .finish()
    }
}

/// Which member of a pool gets each message; see [`Pool::routing`].
///
/// Whatever the policy, a message never goes to a member that has
/// stopped for good.
pub struct Routing<M> {
    pub(crate) kind: Kind<M>,
}

/// A message's key, or `None` for a message any member may take.
pub(crate) type KeyFn<M> = Arc<dyn Fn(&M) -> Option<u64> + Send + Sync>;

pub(crate) enum Kind<M> {
    LeastLoaded,
    RoundRobin,
    ByKey(KeyFn<M>),
}

impl<M> Routing<M> {
    /// To the running member with the least in hand (messages waiting,
    /// plus one if it is handling one); the default. Members restarting
    /// after a crash come after running ones. Among equals, a fixed-size
    /// pool takes the next in turn, a resizable one the oldest member, so
    /// that the newest fall idle and are retired.
    ///
    /// # Examples
    ///
    /// ```
    /// use phyx::pool::{Pool, Routing};
    /// # #[derive(Default)] struct Echo;
    /// # #[phyx::process] impl Echo { #[public] fn echo(&self, n: u32) -> u32 { n } }
    ///
    /// let pool: Pool<EchoMsg> = Pool::new().size(4).routing(Routing::least_loaded());
    /// # let _ = pool;
    /// ```
    pub fn least_loaded() -> Self {
        Self {
            kind: Kind::LeastLoaded,
        }
    }

    /// To each member in turn, whatever its load, skipping members that
    /// are restarting while others run.
    ///
    /// # Examples
    ///
    /// ```
    /// use phyx::pool::{Pool, Routing};
    /// # #[derive(Default)] struct Echo;
    /// # #[phyx::process] impl Echo { #[public] fn echo(&self, n: u32) -> u32 { n } }
    ///
    /// let pool: Pool<EchoMsg> = Pool::new().size(4).routing(Routing::round_robin());
    /// # let _ = pool;
    /// ```
    pub fn round_robin() -> Self {
        Self { kind: Kind::RoundRobin }
    }

    /// By a key that `key` reads from each message: the same key always
    /// goes to the same member, so one key's messages are handled in the
    /// order they were sent, one at a time. A message for which `key`
    /// returns `None` goes to the least loaded member.
    ///
    /// `key` matches on the process's message enum (`WorkerMsg` for
    /// `Worker`): one variant per `#[public]` method, named in
    /// `UpperCamelCase`, with one field per argument. Each field wraps
    /// the argument; `.get()` borrows it. Hash it with [`key`](super::key)
    /// (or anything that gives a `u64`). Match with `{ field, .. }`: the
    /// variants have hidden fields too.
    ///
    /// - `key` runs in the caller, as the message is sent (callers route
    ///   keyed messages straight to their member, skipping the pool's
    ///   router), so keep it quick; a panic in it is the caller's.
    /// - A pool routed by key has a fixed size (`min == max`; spawning
    ///   one with `max > min` panics), so a key never changes member as
    ///   the pool resizes.
    /// - A key's member that crashes keeps its key: the key's messages
    ///   wait in its mailbox while it restarts, and are handled in order
    ///   by the next instance. Under backpressure the pool waits for room
    ///   there, which holds up the messages behind, whatever their key.
    /// - A key's member that stops for good (past its restart limit)
    ///   gives its keys to the live members (the same key to the same
    ///   one, while they live). The messages that were waiting at it go
    ///   back through the pool's mailbox, behind those already there: a
    ///   key's order holds again from the move on, not across it.
    /// - A member sending to its own key goes through the pool's router
    ///   (it would otherwise wait for room in its own mailbox), so its
    ///   messages are not ordered with the callers' ones of that key.
    ///
    /// # Examples
    ///
    /// ```
    /// use phyx::pool::{self, Pool, Routing};
    /// use phyx::prelude::*;
    ///
    /// #[derive(Default)]
    /// struct Account { balance: i64 }
    ///
    /// #[process]
    /// impl Account {
    ///     #[public]
    ///     fn deposit(&mut self, user: String, amount: i64) -> i64 {
    ///         self.balance += amount;
    ///         self.balance
    ///     }
    ///
    ///     #[public]
    ///     fn ping(&self) {}
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), phyx::CallError> {
    /// let by_user = Routing::by_key(|message: &AccountMsg| match message {
    ///     AccountMsg::Deposit { user, .. } => Some(pool::key(user.get())),
    ///     _ => None,
    /// });
    /// let system = System::new();
    /// let accounts: AccountRef = system.spawn_pool(Account::default, Pool::new().size(4).routing(by_user));
    /// accounts.deposit("ada".into(), 5).await?;
    /// // The same member: it holds ada's balance.
    /// assert_eq!(accounts.deposit("ada".into(), 2).await?, 7);
    /// accounts.ping().await?;
    /// # system.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn by_key(key: impl Fn(&M) -> Option<u64> + Send + Sync + 'static) -> Self {
        Self {
            kind: Kind::ByKey(Arc::new(key)),
        }
    }
}

impl<M> Clone for Routing<M> {
    fn clone(&self) -> Self {
        let kind = match &self.kind {
            Kind::LeastLoaded => Kind::LeastLoaded,
            Kind::RoundRobin => Kind::RoundRobin,
            Kind::ByKey(key) => Kind::ByKey(key.clone()),
        };
        Self { kind }
    }
}

impl<M> fmt::Debug for Routing<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.kind {
            Kind::LeastLoaded => "Routing::least_loaded",
            Kind::RoundRobin => "Routing::round_robin",
            Kind::ByKey(_) => "Routing::by_key",
        })
    }
}

/// A key for [`Routing::by_key`] from any hashable value: the same value
/// gives the same key in every run of the same build.
///
/// # Examples
///
/// ```
/// use phyx::pool;
///
/// assert_eq!(pool::key("ada"), pool::key("ada"));
/// ```
pub fn key<K: Hash + ?Sized>(value: &K) -> u64 {
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}
