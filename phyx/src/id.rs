//! Ids: of processes (unique within their system), of sagas and of their
//! steps (stable enough to deduplicate by).

use std::fmt;
use std::sync::Arc;

/// The identity of a saga, given to [`System::saga`](crate::System::saga).
///
/// Choose one that names the business transaction (an order number, a
/// transfer id): it is part of every [`StepKey`], so a saga run again under
/// the same id produces the same keys and processes can recognise steps and
/// compensations they have already done.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SagaId(Arc<str>);

impl SagaId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SagaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for SagaId {
    fn from(id: &str) -> Self {
        Self(id.into())
    }
}

impl From<String> for SagaId {
    fn from(id: String) -> Self {
        Self(id.into())
    }
}

impl From<u64> for SagaId {
    fn from(id: u64) -> Self {
        Self(id.to_string().into())
    }
}

/// The idempotency key of one saga step: the saga's id and the step's
/// number (1 for the first step).
///
/// A step receives it to pass along to the process it calls, and the
/// compensation of that step receives the same key, so both can be made
/// idempotent: a process that records the keys it has seen can ignore a
/// step or an undo delivered twice (a compensation is retried when an
/// attempt fails or times out, and a timed-out attempt may still have run).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StepKey {
    saga: SagaId,
    step: u32,
}

impl StepKey {
    pub(crate) fn new(saga: SagaId, step: u32) -> Self {
        Self { saga, step }
    }

    /// The saga the step belongs to.
    pub fn saga(&self) -> &SagaId {
        &self.saga
    }

    /// The step's number within its saga, from 1.
    pub fn step(&self) -> u32 {
        self.step
    }
}

impl fmt::Display for StepKey {
    /// `order-42/2` for step 2 of saga `order-42`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.saga, self.step)
    }
}

/// A process's id, unique within its system. Displays as `#7`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProcessId(pub(crate) u64);

impl ProcessId {
    /// The id as a number.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for ProcessId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// How a message reached its handler. A `#[public]` method of a
/// `#[process(remote, durable)]` process takes one as a parameter of type
/// `Envelope` (callers do not pass it) to learn a durable tell's message
/// id, unique across the cluster, and whether it was delivered before:
/// a durable tell is handled at least once, and a handler that records
/// the ids it has done (in the same write as its effect) handles each one
/// effectively once.
///
/// ```
/// use phyx::prelude::*;
/// use phyx::Envelope;
/// use std::collections::BTreeSet;
///
/// #[derive(Default)]
/// pub struct Ledger { total: u64, done: BTreeSet<String> }
///
/// #[process]
/// impl Ledger {
///     #[public]
///     pub fn credit(&mut self, amount: u64, envelope: Envelope) {
///         // A local call has no id: it is handled once.
///         if let Some(id) = envelope.id() {
///             if !self.done.insert(id.to_owned()) {
///                 return; // seen before: its credit is in `total`
///             }
///         }
///         self.total += amount;
///     }
/// }
/// ```
///
/// Every other message (an ask, a plain tell, a local call) has no id and
/// is its first delivery.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Envelope {
    id: Option<Arc<str>>,
    attempt: u64,
}

impl Envelope {
    /// A message's first and only delivery, without an id.
    pub fn local() -> Self {
        Self { id: None, attempt: 1 }
    }

    #[cfg(feature = "cluster")]
    pub(crate) fn durable(id: Arc<str>, attempt: u64) -> Self {
        Self {
            id: Some(id),
            attempt: attempt.max(1),
        }
    }

    /// The durable tell's message id; `None` for every other message.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// Which delivery of the message this is, from 1.
    pub fn attempt(&self) -> u64 {
        self.attempt
    }

    /// Whether it was delivered before: its handler may have run then, on
    /// a node that died before the stream heard it had.
    pub fn is_redelivery(&self) -> bool {
        self.attempt > 1
    }
}

impl Default for Envelope {
    fn default() -> Self {
        Self::local()
    }
}
