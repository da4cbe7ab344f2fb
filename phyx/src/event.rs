//! Lifecycle events: what happened to which process, and when.

use std::any::Any;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use tokio::sync::broadcast;

use crate::id::{ProcessId, StepKey};

/// Something that happened to a process.
///
/// Every event goes to `tracing` (target `phyx`), to the sinks given to
/// [`SystemBuilder::on_event`](crate::SystemBuilder::on_event) and to every
/// [`System::events`](crate::System::events) stream.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Event {
    /// When it happened, on the system's clock.
    pub at: Instant,
    /// The process it happened to.
    pub process: ProcessId,
    /// That process's name.
    pub name: Arc<str>,
    /// What happened.
    pub kind: EventKind,
}

/// What an [`Event`] reports.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum EventKind {
    /// The process was spawned; it starts right after.
    Spawned {
        /// The process that spawned it with [`Ctx::spawn`](crate::Ctx::spawn),
        /// or `None` for a process spawned on the system.
        parent: Option<ProcessId>,
    },
    /// An instance finished its start hook and handles messages from now on.
    Started,
    /// An event-sourced process's instance rebuilt its state from its
    /// journal, before its start hook (`phyx::journal`, feature `journal`).
    Recovered {
        /// The position of the snapshot it restored, if any.
        snapshot: Option<u64>,
        /// How many events it replayed after the snapshot.
        events: u64,
    },
    /// A start hook returned `Err`. Counts as a crash.
    StartFailed {
        /// The error, formatted with `Display`.
        error: Arc<str>,
    },
    /// A handler, the start hook or the factory panicked. Counts as a crash.
    Panicked {
        /// The method being handled, or `None` outside a handler.
        method: Option<&'static str>,
        /// The panic message.
        message: Arc<str>,
    },
    /// A new instance will be started after `delay`.
    Restarting {
        /// 1 for the first restart within the restart window, then 2, ...
        attempt: u32,
        /// The backoff delay before the new instance starts.
        delay: Duration,
    },
    /// The process crashed more than `max_restarts` times within `within`
    /// and is not restarted again.
    RestartLimitReached {
        /// The limit that was exceeded.
        max_restarts: u32,
        /// The window it applies to.
        within: Duration,
    },
    /// The process stopped for good; its mailbox is closed and pending
    /// callers got [`CallError::Stopped`](crate::CallError::Stopped).
    Stopped {
        /// Why.
        reason: StopReason,
    },
    /// A supervisor gave up: its children restarted more than its restart
    /// intensity allows. It fails, and its parent decides.
    Escalated {
        /// Why.
        reason: Arc<str>,
    },
    /// A supervisor removed a child for good: a temporary child that
    /// ended, or that a sibling's failure took down.
    ChildRemoved {
        /// The child removed.
        child: ProcessId,
    },
    /// A method's circuit breaker changed state.
    Circuit {
        /// The guarded method.
        method: &'static str,
        /// Its new state.
        state: CircuitState,
    },
    /// A call was refused (or made to wait) by a method's rate limit.
    RateLimited {
        /// The limited method.
        method: &'static str,
        /// When a call may pass again.
        retry_after: Duration,
    },
    /// A saga step that called this process ended.
    SagaStep {
        /// The step's saga and number.
        key: StepKey,
        /// The method the step called.
        method: &'static str,
        /// How it ended.
        outcome: StepOutcome,
    },
    /// An attempt to compensate a saga step on this process ended.
    Compensation {
        /// The compensated step's saga and number.
        key: StepKey,
        /// The undo method called.
        method: &'static str,
        /// 1 for the first attempt, then 2, ...
        attempt: u32,
        /// How it ended.
        outcome: AttemptOutcome,
    },
    /// A queued message was dropped by [`Overflow::DropOldest`](crate::Overflow::DropOldest).
    MessageDropped {
        /// The dropped message's method.
        method: &'static str,
    },
    /// A message was refused by a full mailbox.
    MessageRejected {
        /// The refused message's method.
        method: &'static str,
    },
    /// A message that arrived from the cluster for this process could not
    /// be read, and was dropped: truncated, malformed, too large, or from
    /// a build of the process whose methods differ. Counted here, never a
    /// crash (feature `cluster`).
    WireRejected {
        /// Why, in a sentence.
        reason: Arc<str>,
    },
    /// A call of a traced method (`#[trace]`) arrived from the cluster
    /// with a W3C `traceparent` header that does not read: it was
    /// ignored, as the W3C asks, and the handler started a new trace (the
    /// message was handled). Counted here, never a crash (feature
    /// `cluster`).
    TraceparentIgnored {
        /// The traced method called.
        method: &'static str,
    },
    /// A durable tell (`#[process(remote, durable)]`) is delivered again:
    /// its handler may have run before, on a node that died before the
    /// stream heard it had (feature `cluster`).
    Redelivered {
        /// The tell's message id, unique across the cluster.
        id: Arc<str>,
        /// Which delivery this is: 2 for the first one again.
        delivery: u64,
    },
    /// A user event, from [`Ctx::emit`](crate::Ctx::emit).
    Custom(CustomEvent),
}

/// The state of a method's circuit breaker; see [`EventKind::Circuit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CircuitState {
    /// Calls pass; failures are counted.
    Closed,
    /// Calls fail fast with
    /// [`CallError::CircuitOpen`](crate::CallError::CircuitOpen) until the
    /// cooldown ends.
    Open {
        /// The cooldown.
        retry_after: Duration,
    },
    /// A limited number of trial calls pass; their results close or reopen
    /// the breaker.
    HalfOpen,
}

/// How a saga step ended; see [`EventKind::SagaStep`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StepOutcome {
    /// It succeeded; its compensation, if it has one, is recorded.
    Done,
    /// It failed: the saga compensates the steps before it.
    Failed {
        /// Why.
        error: Arc<str>,
    },
    /// It timed out and sent no reply within the saga's late-reply timeout.
    Unknown,
}

/// How an attempt to compensate a saga step ended; see
/// [`EventKind::Compensation`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AttemptOutcome {
    /// The step is undone.
    Undone,
    /// The attempt failed; the next one starts after `after`.
    Retrying {
        /// Why it failed.
        error: Arc<str>,
        /// The backoff before the next attempt.
        after: Duration,
    },
    /// The last allowed attempt failed; the step stays done.
    GaveUp {
        /// Why it failed.
        error: Arc<str>,
    },
}

/// Why a process instance ended. Given to the stop hook (`#[on_stop]`) and
/// reported in [`EventKind::Stopped`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StopReason {
    /// The process called [`Ctx::stop`](crate::Ctx::stop).
    Normal,
    /// It was stopped from outside: [`Handle::stop`](crate::Handle::stop),
    /// its parent stopping, or [`System::shutdown`](crate::System::shutdown).
    Shutdown,
    /// A handler panicked.
    Panicked {
        /// The panic message.
        message: Arc<str>,
    },
    /// A supervisor escalated: its children failed too often.
    Escalated {
        /// Why.
        reason: Arc<str>,
    },
    /// The start hook failed (returned `Err` or panicked), so the instance
    /// never ran.
    StartFailed {
        /// The error or panic message.
        error: Arc<str>,
    },
    /// An event-sourced process's journal failed to store its events, so
    /// its state may no longer be what the journal holds: the instance
    /// ends after the handler that persisted, and the next one rebuilds
    /// its state from the journal. A crash.
    JournalFailed {
        /// The store's error.
        error: Arc<str>,
    },
    /// The process is on another node of the cluster, and that node went
    /// away: killed, partitioned off or shut down. What a watch of a
    /// remote process reports then.
    NodeDown {
        /// The node's name.
        node: Arc<str>,
    },
}

impl StopReason {
    /// Whether this is a crash, which restarts a
    /// [`Restart::Transient`](crate::Restart::Transient) process.
    pub fn is_crash(&self) -> bool {
        matches!(
            self,
            Self::Panicked { .. } | Self::StartFailed { .. } | Self::Escalated { .. } | Self::JournalFailed { .. }
        )
    }
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Normal => f.write_str("normal stop"),
            Self::Shutdown => f.write_str("shutdown"),
            Self::Panicked { message } => write!(f, "panicked: {message}"),
            Self::StartFailed { error } => write!(f, "start failed: {error}"),
            Self::Escalated { reason } => write!(f, "escalated: {reason}"),
            Self::JournalFailed { error } => write!(f, "journal failed: {error}"),
            Self::NodeDown { node } => write!(f, "node `{node}` went down"),
        }
    }
}

/// A value a handler reported with [`Ctx::emit`](crate::Ctx::emit).
#[derive(Clone)]
pub struct CustomEvent {
    value: Arc<dyn Any + Send + Sync>,
    debug: fn(&(dyn Any + Send + Sync), &mut fmt::Formatter<'_>) -> fmt::Result,
}

impl CustomEvent {
    pub(crate) fn new<E: Any + fmt::Debug + Send + Sync>(value: E) -> Self {
        Self {
            value: Arc::new(value),
            debug: |value, f| match value.downcast_ref::<E>() {
                Some(value) => fmt::Debug::fmt(value, f),
                None => f.write_str("<custom event>"),
            },
        }
    }

    /// The emitted value, if it is an `E`.
    pub fn downcast_ref<E: Any>(&self) -> Option<&E> {
        self.value.downcast_ref()
    }
}

impl fmt::Debug for CustomEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (self.debug)(&*self.value, f)
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}: ", self.name, self.process)?;
        match &self.kind {
            EventKind::Spawned { parent: Some(parent) } => write!(f, "spawned by {parent}"),
            EventKind::Spawned { parent: None } => f.write_str("spawned"),
            EventKind::Started => f.write_str("started"),
            EventKind::Recovered { snapshot: None, events } => write!(f, "recovered: replayed {events} events"),
            EventKind::Recovered {
                snapshot: Some(position),
                events,
            } => write!(f, "recovered: snapshot at {position}, then {events} events"),
            EventKind::StartFailed { error } => write!(f, "start failed: {error}"),
            EventKind::Panicked {
                method: Some(method),
                message,
            } => {
                write!(f, "panicked in `{method}`: {message}")
            }
            EventKind::Panicked { method: None, message } => write!(f, "panicked: {message}"),
            EventKind::Restarting { attempt, delay } => {
                write!(f, "restart #{attempt} in {delay:?}")
            }
            EventKind::RestartLimitReached { max_restarts, within } => {
                write!(f, "more than {max_restarts} restarts within {within:?}; giving up")
            }
            EventKind::Stopped { reason } => write!(f, "stopped ({reason})"),
            EventKind::Escalated { reason } => write!(f, "escalated: {reason}"),
            EventKind::ChildRemoved { child } => write!(f, "removed child {child}"),
            EventKind::WireRejected { reason } => write!(f, "dropped a message from the cluster: {reason}"),
            EventKind::TraceparentIgnored { method } => write!(
                f,
                "ignored a `traceparent` header that does not read, on a call of `{method}`: its handler started a new trace"
            ),
            EventKind::Redelivered { id, delivery } => {
                write!(f, "durable tell {id} delivered again (delivery {delivery})")
            }
            EventKind::Circuit { method, state } => match state {
                CircuitState::Closed => write!(f, "circuit of `{method}` closed"),
                CircuitState::Open { retry_after } => {
                    write!(f, "circuit of `{method}` opened for {retry_after:?}")
                }
                CircuitState::HalfOpen => write!(f, "circuit of `{method}` half-open"),
            },
            EventKind::RateLimited { method, retry_after } => {
                write!(f, "rate limit of `{method}` reached; next call in {retry_after:?}")
            }
            EventKind::SagaStep { key, method, outcome } => match outcome {
                StepOutcome::Done => write!(f, "saga step {key} `{method}` done"),
                StepOutcome::Failed { error } => write!(f, "saga step {key} `{method}` failed: {error}"),
                StepOutcome::Unknown => write!(f, "saga step {key} `{method}` timed out; outcome unknown"),
            },
            EventKind::Compensation {
                key,
                method,
                attempt,
                outcome,
            } => match outcome {
                AttemptOutcome::Undone => write!(f, "saga step {key} undone by `{method}` (attempt {attempt})"),
                AttemptOutcome::Retrying { error, after } => write!(
                    f,
                    "compensation `{method}` of saga step {key} failed (attempt {attempt}): {error}; retrying in {after:?}"
                ),
                AttemptOutcome::GaveUp { error } => write!(
                    f,
                    "compensation `{method}` of saga step {key} gave up after {attempt} attempts: {error}"
                ),
            },
            EventKind::MessageDropped { method } => write!(f, "dropped a `{method}` message"),
            EventKind::MessageRejected { method } => write!(f, "rejected a `{method}` message"),
            EventKind::Custom(custom) => write!(f, "{custom:?}"),
        }
    }
}

pub(crate) type Sink = Arc<dyn Fn(&Event) + Send + Sync>;

/// Where a system's events go.
pub(crate) struct EventHub {
    sinks: Vec<Sink>,
    streams: RwLock<Option<broadcast::Sender<Event>>>,
    /// Streams not yet dropped. While there are none, publishing takes no
    /// lock: the broadcast channel would lock its one queue for every event
    /// of every process, which processes starting on other threads then
    /// contend for.
    open_streams: Arc<AtomicUsize>,
}

/// Events a lagging [`EventStream`] may fall behind before it skips the
/// oldest.
const STREAM_CAPACITY: usize = 4096;

impl EventHub {
    pub(crate) fn new(sinks: Vec<Sink>) -> Self {
        Self {
            sinks,
            streams: RwLock::new(Some(broadcast::channel(STREAM_CAPACITY).0)),
            open_streams: Arc::new(AtomicUsize::new(0)),
        }
    }

    pub(crate) fn publish(&self, event: Event) {
        trace(&event);
        for sink in &self.sinks {
            // A sink is user code running wherever an event happens, deep
            // inside the runtime: its panic must not unwind there.
            if let Err(payload) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| sink(&event))) {
                let message = crate::panic::panic_message(payload);
                tracing::error!(target: "phyx", "an event sink panicked and missed an event: {message}");
            }
        }
        if self.open_streams.load(Ordering::SeqCst) == 0 {
            return;
        }
        let streams = self.streams.read().unwrap_or_else(|e| e.into_inner());
        if let Some(sender) = streams.as_ref() {
            // An error only means every receiver left meanwhile.
            let _ = sender.send(event);
        }
    }

    pub(crate) fn subscribe(&self) -> EventStream {
        // Counted before subscribing, so no event published after this
        // returns skips the channel.
        let open = OpenStream::new(&self.open_streams);
        let streams = self.streams.read().unwrap_or_else(|e| e.into_inner());
        EventStream {
            receiver: streams.as_ref().map(broadcast::Sender::subscribe),
            missed: 0,
            _open: open,
        }
    }

    /// Ends every stream once it has delivered what it holds.
    pub(crate) fn close(&self) {
        self.streams.write().unwrap_or_else(|e| e.into_inner()).take();
    }
}

fn trace(event: &Event) {
    match &event.kind {
        EventKind::Panicked { .. }
        | EventKind::StartFailed { .. }
        | EventKind::RestartLimitReached { .. }
        | EventKind::Escalated { .. }
        | EventKind::Compensation {
            outcome: AttemptOutcome::GaveUp { .. },
            ..
        } => {
            tracing::warn!(target: "phyx", process = %event.name, id = event.process.get(), "{event}");
        }
        EventKind::MessageDropped { .. }
        | EventKind::MessageRejected { .. }
        | EventKind::RateLimited { .. }
        | EventKind::TraceparentIgnored { .. } => {
            tracing::debug!(target: "phyx", process = %event.name, id = event.process.get(), "{event}");
        }
        _ => tracing::info!(target: "phyx", process = %event.name, id = event.process.get(), "{event}"),
    }
}

/// The events of a system, from the moment it was subscribed.
///
/// Returned by [`System::events`](crate::System::events). A stream that
/// falls more than 4096 events behind skips the oldest and counts them in
/// [`missed`](Self::missed); use
/// [`SystemBuilder::on_event`](crate::SystemBuilder::on_event) to see every
/// event.
#[derive(Debug)]
pub struct EventStream {
    receiver: Option<broadcast::Receiver<Event>>,
    missed: u64,
    _open: OpenStream,
}

/// Counts an [`EventStream`] among the hub's open streams while it lives.
#[derive(Debug)]
struct OpenStream(Arc<AtomicUsize>);

impl OpenStream {
    fn new(count: &Arc<AtomicUsize>) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Self(count.clone())
    }
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl EventStream {
    /// The next event, or `None` once the system has shut down and every
    /// event before has been received.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: no event is lost if the future is dropped.
    pub async fn recv(&mut self) -> Option<Event> {
        let receiver = self.receiver.as_mut()?;
        loop {
            match receiver.recv().await {
                Ok(event) => return Some(event),
                Err(broadcast::error::RecvError::Lagged(skipped)) => self.missed += skipped,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }

    /// The next event if one is ready now.
    pub fn try_recv(&mut self) -> Option<Event> {
        let receiver = self.receiver.as_mut()?;
        loop {
            match receiver.try_recv() {
                Ok(event) => return Some(event),
                Err(broadcast::error::TryRecvError::Lagged(skipped)) => self.missed += skipped,
                Err(_) => return None,
            }
        }
    }

    /// Events skipped because this stream fell behind.
    pub fn missed(&self) -> u64 {
        self.missed
    }
}
