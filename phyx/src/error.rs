//! Why a call or a tell got no reply, or a name was not registered or
//! found.

use std::error::Error;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::id::ProcessId;

/// `process()` and `method()` for an error type each of whose variants
/// names both, written once for [`CallError`] and [`SendError`].
macro_rules! addressed {
    ($error:ident: $($variant:ident),+) => {
        impl $error {
            /// Name of the process the call or tell was addressed to.
            pub fn process(&self) -> &str {
                match self {
                    $(Self::$variant { process, .. })|+ => process,
                }
            }

            /// Name of the method the call or tell invoked.
            pub fn method(&self) -> &'static str {
                match self {
                    $(Self::$variant { method, .. })|+ => method,
                }
            }
        }
    };
}

/// Why an ask ([`Call`](crate::Call) awaited) got no reply.
///
/// Every ask ends in a reply or one of these; none hangs. A handler that
/// returns `Err` is a reply, not a `CallError`: the caller receives the
/// handler's `Result` inside `Ok`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallError {
    /// No reply arrived before the deadline set with
    /// [`Call::timeout`](crate::Call::timeout). The message may still be
    /// handled later; its reply is then discarded.
    #[non_exhaustive]
    Timeout {
        /// Name of the process called.
        process: Arc<str>,
        /// Method called.
        method: &'static str,
        /// The timeout that elapsed.
        after: Duration,
    },
    /// The mailbox was full and its overflow policy is
    /// [`Overflow::Reject`](crate::Overflow::Reject).
    #[non_exhaustive]
    MailboxFull {
        /// Name of the process called.
        process: Arc<str>,
        /// Method called.
        method: &'static str,
    },
    /// The process stopped before replying: it was stopped or crashed for
    /// good, the system shut down, or its supervisor cancelled the handler
    /// to restart it with a crashed sibling (see
    /// [`Strategy`](crate::Strategy)).
    #[non_exhaustive]
    Stopped {
        /// Name of the process called.
        process: Arc<str>,
        /// Method called.
        method: &'static str,
    },
    /// The handler panicked while handling this call. The process restarts
    /// according to its restart policy.
    #[non_exhaustive]
    Panicked {
        /// Name of the process called.
        process: Arc<str>,
        /// Method called.
        method: &'static str,
        /// The panic message.
        message: Arc<str>,
    },
    /// The method's circuit breaker is open: the call failed fast, without
    /// entering the mailbox.
    #[non_exhaustive]
    CircuitOpen {
        /// Name of the process called.
        process: Arc<str>,
        /// Method called.
        method: &'static str,
        /// When the breaker lets a trial call through.
        retry_after: Duration,
    },
    /// The method's rate limit is reached: the call failed fast, without
    /// entering the mailbox.
    #[non_exhaustive]
    RateLimited {
        /// Name of the process called.
        process: Arc<str>,
        /// Method called.
        method: &'static str,
        /// When a call may pass again.
        retry_after: Duration,
    },
    /// A process asked itself, from one of its own handlers or hooks. It
    /// would wait for a reply that only it can give, once the handler
    /// waiting for it has returned, so the ask fails at once instead of
    /// hanging (Erlang's `calling_self`). Call the method on `self`
    /// directly, or tell it with [`Call::send`](crate::Call::send).
    ///
    /// Longer cycles (A asks B while B asks A) are not detected: bound
    /// such asks with [`Call::timeout`](crate::Call::timeout), or tell
    /// instead.
    #[non_exhaustive]
    SelfCall {
        /// Name of the process, caller and callee.
        process: Arc<str>,
        /// Method called.
        method: &'static str,
    },
    /// The message was dropped from a full mailbox whose overflow policy is
    /// [`Overflow::DropOldest`](crate::Overflow::DropOldest), to make room
    /// for a newer one.
    #[non_exhaustive]
    Dropped {
        /// Name of the process called.
        process: Arc<str>,
        /// Method called.
        method: &'static str,
    },
    /// The method replies later, through a [`Reply`](crate::Reply), and
    /// that `Reply` was dropped without being sent: by the handler, by the
    /// task or process it was handed to, or with a handler that was
    /// cancelled (its process stopped or was restarted with a sibling).
    /// The caller hears it at once instead of waiting forever.
    #[non_exhaustive]
    ReplyDropped {
        /// Name of the process called.
        process: Arc<str>,
        /// Method called.
        method: &'static str,
    },
    /// The process is on another node of the cluster, and that node went
    /// away (killed, partitioned off or shut down) before replying, or
    /// was gone already. The message may or may not have been handled.
    /// Detected within the cluster's detection time (see
    /// `SystemBuilder::detection`, feature `cluster`).
    #[non_exhaustive]
    NodeDown {
        /// Name of the process called.
        process: Arc<str>,
        /// Method called.
        method: &'static str,
        /// The node that went away.
        node: Arc<str>,
    },
    /// The method's validator (`#[validate(with = ...)]`) refused the
    /// arguments, at the caller: nothing was sent.
    #[non_exhaustive]
    Invalid {
        /// Name of the process called.
        process: Arc<str>,
        /// Method called.
        method: &'static str,
        /// Why, in the validator's words.
        reason: Arc<str>,
    },
    /// The call could not cross to the process's node: the message or its
    /// reply is larger than the cluster's maximum message size, could not
    /// be encoded or decoded, or the two nodes run builds of the process
    /// whose methods differ.
    #[non_exhaustive]
    Transport {
        /// Name of the process called.
        process: Arc<str>,
        /// Method called.
        method: &'static str,
        /// What went wrong, in a sentence.
        reason: Arc<str>,
    },
}

addressed!(CallError: Timeout, MailboxFull, Stopped, Panicked, CircuitOpen, RateLimited, Invalid, SelfCall, Dropped, ReplyDropped, NodeDown, Transport);

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (process, method) = (self.process(), self.method());
        write!(f, "call to `{method}` on process `{process}` ")?;
        match self {
            Self::Timeout { after, .. } => write!(f, "timed out after {after:?}"),
            Self::MailboxFull { .. } => f.write_str("was rejected: mailbox full"),
            Self::Stopped { .. } => f.write_str("failed: process stopped"),
            Self::Panicked { message, .. } => write!(f, "panicked: {message}"),
            Self::Dropped { .. } => f.write_str("was dropped by a full mailbox (drop-oldest)"),
            Self::ReplyDropped { .. } => f.write_str("got no reply: its `Reply` was dropped without being sent"),
            Self::CircuitOpen { retry_after, .. } => {
                write!(f, "failed fast: circuit open, retry in {retry_after:?}")
            }
            Self::RateLimited { retry_after, .. } => {
                write!(f, "was refused: rate limit reached, retry in {retry_after:?}")
            }
            Self::Invalid { reason, .. } => write!(f, "was refused by its validator: {reason}"),
            Self::SelfCall { .. } => f.write_str(
                "failed: a process cannot ask itself (it would wait for itself); call the method directly or tell it with `.send()`",
            ),
            Self::NodeDown { node, .. } => write!(f, "failed: node `{node}` is down"),
            Self::Transport { reason, .. } => write!(f, "could not cross the cluster: {reason}"),
        }
    }
}

impl Error for CallError {}

/// Why a tell ([`Call::send`](crate::Call::send) and friends) was not
/// delivered to the mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SendError {
    /// The mailbox was full. `send()` never waits; use
    /// [`Call::send_wait`](crate::Call::send_wait) to wait for room under
    /// [`Overflow::Backpressure`](crate::Overflow::Backpressure).
    #[non_exhaustive]
    MailboxFull {
        /// Name of the process addressed.
        process: Arc<str>,
        /// Method invoked.
        method: &'static str,
    },
    /// The process has stopped.
    #[non_exhaustive]
    Stopped {
        /// Name of the process addressed.
        process: Arc<str>,
        /// Method invoked.
        method: &'static str,
    },
    /// The method's circuit breaker is open.
    #[non_exhaustive]
    CircuitOpen {
        /// Name of the process addressed.
        process: Arc<str>,
        /// Method invoked.
        method: &'static str,
        /// When the breaker lets calls through again.
        retry_after: Duration,
    },
    /// The method's rate limit is reached.
    #[non_exhaustive]
    RateLimited {
        /// Name of the process addressed.
        process: Arc<str>,
        /// Method invoked.
        method: &'static str,
        /// When a call may pass again.
        retry_after: Duration,
    },
    /// The method's validator (`#[validate(with = ...)]`) refused the
    /// arguments (see [`CallError::Invalid`]).
    #[non_exhaustive]
    Invalid {
        /// Name of the process addressed.
        process: Arc<str>,
        /// Method invoked.
        method: &'static str,
        /// Why, in the validator's words.
        reason: Arc<str>,
    },
    /// The process is on another node of the cluster, and that node is
    /// down (see [`CallError::NodeDown`]).
    #[non_exhaustive]
    NodeDown {
        /// Name of the process addressed.
        process: Arc<str>,
        /// Method invoked.
        method: &'static str,
        /// The node that is down.
        node: Arc<str>,
    },
    /// The tell could not cross to the process's node (see
    /// [`CallError::Transport`]).
    #[non_exhaustive]
    Transport {
        /// Name of the process addressed.
        process: Arc<str>,
        /// Method invoked.
        method: &'static str,
        /// What went wrong, in a sentence.
        reason: Arc<str>,
    },
}

addressed!(SendError: MailboxFull, Stopped, CircuitOpen, RateLimited, Invalid, NodeDown, Transport);

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (process, method) = (self.process(), self.method());
        match self {
            Self::MailboxFull { .. } => {
                write!(f, "tell `{method}` to process `{process}` was rejected: mailbox full")
            }
            Self::Stopped { .. } => {
                write!(f, "tell `{method}` to process `{process}` failed: process stopped")
            }
            Self::CircuitOpen { retry_after, .. } => {
                write!(
                    f,
                    "tell `{method}` to process `{process}` failed fast: circuit open, retry in {retry_after:?}"
                )
            }
            Self::RateLimited { retry_after, .. } => write!(
                f,
                "tell `{method}` to process `{process}` was refused: rate limit reached, retry in {retry_after:?}"
            ),
            Self::Invalid { reason, .. } => {
                write!(
                    f,
                    "tell `{method}` to process `{process}` was refused by its validator: {reason}"
                )
            }
            Self::NodeDown { node, .. } => {
                write!(
                    f,
                    "tell `{method}` to process `{process}` failed: node `{node}` is down"
                )
            }
            Self::Transport { reason, .. } => {
                write!(
                    f,
                    "tell `{method}` to process `{process}` could not cross the cluster: {reason}"
                )
            }
        }
    }
}

impl Error for SendError {}

impl From<SendError> for CallError {
    fn from(error: SendError) -> Self {
        match error {
            SendError::MailboxFull { process, method } => Self::MailboxFull { process, method },
            SendError::Stopped { process, method } => Self::Stopped { process, method },
            SendError::CircuitOpen {
                process,
                method,
                retry_after,
            } => Self::CircuitOpen {
                process,
                method,
                retry_after,
            },
            SendError::RateLimited {
                process,
                method,
                retry_after,
            } => Self::RateLimited {
                process,
                method,
                retry_after,
            },
            SendError::Invalid {
                process,
                method,
                reason,
            } => Self::Invalid {
                process,
                method,
                reason,
            },
            SendError::NodeDown { process, method, node } => Self::NodeDown { process, method, node },
            SendError::Transport {
                process,
                method,
                reason,
            } => Self::Transport {
                process,
                method,
                reason,
            },
        }
    }
}

/// Why [`System::register`](crate::System::register) gave no name.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegisterError {
    /// Another process holds the name. It is released when that process
    /// stops for good, or with [`System::unregister`](crate::System::unregister).
    #[non_exhaustive]
    Taken {
        /// The name asked for.
        name: Arc<str>,
        /// The process holding it.
        holder: ProcessId,
        /// That process's name.
        holder_name: Arc<str>,
    },
    /// The process is registered under another name already; a process has
    /// one name at a time.
    #[non_exhaustive]
    AlreadyNamed {
        /// The name asked for.
        name: Arc<str>,
        /// The name the process has.
        existing: Arc<str>,
        /// The process's own name.
        process: Arc<str>,
    },
    /// The process has stopped for good: there is nothing to name.
    #[non_exhaustive]
    Stopped {
        /// The name asked for.
        name: Arc<str>,
        /// The process's own name.
        process: Arc<str>,
    },
    /// A process on another live node of the cluster holds the name.
    #[non_exhaustive]
    TakenElsewhere {
        /// The name asked for.
        name: Arc<str>,
        /// The node whose process holds it.
        node: Arc<str>,
    },
    /// The cluster's name bucket could not be read or written.
    #[non_exhaustive]
    Cluster {
        /// The name asked for.
        name: Arc<str>,
        /// What failed.
        cause: Arc<str>,
    },
    /// Only a `#[process(remote)]` process can serve a pool across nodes.
    #[non_exhaustive]
    NotRemote {
        /// The name asked for.
        name: Arc<str>,
        /// The process's own name.
        process: Arc<str>,
    },
}

impl RegisterError {
    /// The name that was asked for.
    pub fn name(&self) -> &str {
        match self {
            Self::Taken { name, .. }
            | Self::AlreadyNamed { name, .. }
            | Self::Stopped { name, .. }
            | Self::TakenElsewhere { name, .. }
            | Self::Cluster { name, .. }
            | Self::NotRemote { name, .. } => name,
        }
    }
}

impl fmt::Display for RegisterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Taken {
                name,
                holder,
                holder_name,
            } => write!(
                f,
                "name `{name}` is taken by process `{holder_name}` ({holder}); pick another name, or unregister it first"
            ),
            Self::AlreadyNamed {
                name,
                existing,
                process,
            } => write!(
                f,
                "cannot register process `{process}` as `{name}`: it is registered as `{existing}` already; unregister `{existing}` first"
            ),
            Self::Stopped { name, process } => {
                write!(f, "cannot register process `{process}` as `{name}`: it has stopped")
            }
            Self::TakenElsewhere { name, node } => write!(
                f,
                "name `{name}` is taken by a process on node `{node}`; pick another name, or unregister it there first"
            ),
            Self::Cluster { name, cause } => write!(f, "cannot register `{name}` in the cluster: {cause}"),
            Self::NotRemote { name, process } => write!(
                f,
                "process `{process}` cannot join the pool `{name}` across nodes: its messages cannot cross; add `remote` to its `#[process]`"
            ),
        }
    }
}

impl Error for RegisterError {}

/// Why [`System::lookup`](crate::System::lookup) found no handle.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LookupError {
    /// No process is registered under the name: it never was, or its
    /// process has stopped for good, or it was unregistered.
    #[non_exhaustive]
    NotFound {
        /// The name looked up.
        name: Arc<str>,
    },
    /// The name belongs to a process of another type than the handle
    /// asked for.
    #[non_exhaustive]
    WrongType {
        /// The name looked up.
        name: Arc<str>,
        /// The handle type asked for (`CounterRef`), without its module
        /// path.
        requested: Arc<str>,
        /// The handle type the process was registered with.
        registered: Arc<str>,
    },
    /// The name belongs to a process on another node, and the handle's
    /// process is not `#[process(remote)]`, so its messages cannot cross.
    #[non_exhaustive]
    NotRemote {
        /// The name looked up.
        name: Arc<str>,
        /// The handle type asked for.
        requested: Arc<str>,
    },
    /// The name belongs to a process on another node that runs another
    /// build of it: its methods differ from this node's.
    #[non_exhaustive]
    Incompatible {
        /// The name looked up.
        name: Arc<str>,
        /// The node that runs the other build.
        node: Arc<str>,
    },
    /// The cluster's name bucket could not be read.
    #[non_exhaustive]
    Cluster {
        /// The name looked up.
        name: Arc<str>,
        /// What failed.
        cause: Arc<str>,
    },
}

impl LookupError {
    /// The name that was looked up.
    pub fn name(&self) -> &str {
        match self {
            Self::NotFound { name }
            | Self::WrongType { name, .. }
            | Self::NotRemote { name, .. }
            | Self::Incompatible { name, .. }
            | Self::Cluster { name, .. } => name,
        }
    }
}

impl fmt::Display for LookupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotFound { name } => write!(
                f,
                "no process is registered as `{name}`; register it first, or check the spelling"
            ),
            Self::WrongType {
                name,
                requested,
                registered,
            } => write!(
                f,
                "process `{name}` is a `{registered}`, not a `{requested}`; look it up as `lookup::<{registered}>`"
            ),
            Self::NotRemote { name, requested } => write!(
                f,
                "process `{name}` is on another node, and the process of `{requested}` is not `#[process(remote)]`; add `remote` to reach it from here"
            ),
            Self::Incompatible { name, node } => write!(
                f,
                "process `{name}` on node `{node}` is another build of its type (its methods differ); run the same build on every node"
            ),
            Self::Cluster { name, cause } => write!(f, "cannot look up `{name}` in the cluster: {cause}"),
        }
    }
}

impl Error for LookupError {}

/// Why an ask of a method that returns `Result<T, E>` did not give a `T`:
/// the handler returned `Err`, or the call got no reply. The error of
/// [`Call::flatten`](crate::Call::flatten), so that one `match` or one `?`
/// handles both, instead of a `Result<Result<T, E>, CallError>`.
///
/// ```
/// # use phyx::prelude::*;
/// use phyx::Failed;
///
/// struct Payments;
///
/// #[process]
/// impl Payments {
///     #[public]
///     fn charge(&mut self, cents: u64) -> Result<u64, String> {
///         if cents == 0 { Err("nothing to charge".into()) } else { Ok(cents) }
///     }
/// }
///
/// async fn charge_twice(payments: &PaymentsRef) -> Result<u64, Failed<String>> {
///     let first = payments.charge(5).flatten().await?;
///     let second = payments.charge(7).flatten().await?;
///     Ok(first + second)
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// # let system = System::new();
/// let payments = system.spawn(|| Payments);
/// assert_eq!(charge_twice(&payments).await, Ok(12));
/// match payments.charge(0).flatten().await {
///     Ok(cents) => println!("charged {cents}"),
///     Err(Failed::Handler(why)) => assert_eq!(why, "nothing to charge"),
///     Err(Failed::Call(error)) => panic!("no reply: {error}"),
/// }
/// # system.shutdown().await;
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failed<E> {
    /// The handler ran and returned `Err`.
    Handler(E),
    /// The call got no reply: see [`CallError`].
    Call(CallError),
}

impl<E> From<CallError> for Failed<E> {
    fn from(error: CallError) -> Self {
        Self::Call(error)
    }
}

impl<E: fmt::Display> fmt::Display for Failed<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Handler(error) => error.fmt(f),
            Self::Call(error) => error.fmt(f),
        }
    }
}

impl<E: Error + 'static> Error for Failed<E> {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            Self::Handler(error) => Some(error),
            Self::Call(error) => Some(error),
        }
    }
}

/// Why a supervisor did not start or terminate a dynamic child
/// ([`Supervisor::start_child`](crate::Supervisor::start_child),
/// [`Supervisor::terminate_child`](crate::Supervisor::terminate_child)).
///
/// # Examples
///
/// ```
/// # use phyx::prelude::*;
/// # #[derive(Default)] struct Session;
/// # #[process] impl Session { #[public] fn ping(&self) {} }
/// struct Server;
///
/// #[supervisor]
/// impl Server {}
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let system = System::new();
/// let server: ServerRef = system.spawn(|| Server);
/// Handle::stop(&server).await;
/// let refused = server.start_child(Session::default).unwrap_err();
/// assert!(matches!(refused, phyx::ChildError::Stopped { .. }));
/// assert_eq!(refused.to_string(), "supervisor `Server` has stopped: it starts no more children");
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChildError {
    /// The supervisor has stopped, or is stopping.
    #[non_exhaustive]
    Stopped {
        /// The supervisor's name.
        supervisor: Arc<str>,
    },
    /// The process is not a dynamic child of this supervisor (any more).
    #[non_exhaustive]
    NotAChild {
        /// The supervisor's name.
        supervisor: Arc<str>,
        /// The process named.
        child: ProcessId,
    },
}

impl fmt::Display for ChildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Stopped { supervisor } => {
                write!(f, "supervisor `{supervisor}` has stopped: it starts no more children")
            }
            Self::NotAChild { supervisor, child } => write!(
                f,
                "process {child} is not a dynamic child of supervisor `{supervisor}`; it never was, or it has stopped"
            ),
        }
    }
}

impl Error for ChildError {}
