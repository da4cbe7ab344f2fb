//! How a process's messages cross to another node, as far as the kernel
//! knows: plain functions that `#[process(remote)]` generates, with no
//! serde in sight. The cluster (feature `cluster`) fills them with its
//! format and carries the bytes; without it, no message ever has them.

use std::future::Future;
use std::pin::Pin;

use crate::kernel::reply::NoReply;
use crate::resilience::GuardSpec;

/// The wire forms of a process's messages (`Message::__wire`).
#[doc(hidden)]
pub struct Wire<M> {
    /// A hash of the process's methods as written (names, argument and
    /// reply types): two builds that disagree refuse each other's messages
    /// instead of misreading them.
    pub schema: u64,
    /// `#[process(remote, durable)]`: tells go through the name's
    /// JetStream stream, and are handled at least once.
    pub durable: bool,
    /// The process's rate limits and circuit breakers: a handle on
    /// another node applies them at its caller, as a local handle does.
    pub guards: &'static [GuardSpec],
    /// How many of its methods are `#[cache]`d: a handle on another node
    /// keeps their replies at its callers, as a local handle does.
    pub caches: usize,
    /// Writes the message's arguments to `args`, and takes its reply.
    pub encode: fn(M, &mut Vec<u8>) -> Encoded,
    /// Rebuilds a message from its method's number and arguments.
    pub decode: Decode<M>,
    /// Gives a message whose handler takes an `Envelope` the one it came
    /// by (a durable tell's id and attempt).
    pub deliver: fn(&mut M, crate::id::Envelope),
}

/// Rebuilds a message of method number `method` from its arguments; `ask`:
/// whether its caller waits for a reply. Why not, if it cannot.
#[doc(hidden)]
pub type Decode<M> = fn(u16, &[u8], bool) -> Result<Decoded<M>, String>;

impl<M> Clone for Wire<M> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<M> Copy for Wire<M> {}

/// A message on its way out: its method's number, where its reply goes,
/// and whether its arguments could be written.
#[doc(hidden)]
pub struct Encoded {
    pub method: u16,
    /// `None` for a tell.
    pub reply: Option<Box<dyn PendingReply>>,
    /// Why the arguments could not be written, if they could not.
    pub error: Option<String>,
}

/// The caller's end of an ask that crossed: completes its `Call` with the
/// reply's bytes, or with why none came.
#[doc(hidden)]
pub trait PendingReply: Send + 'static {
    /// Decodes `reply` and hands it to the caller.
    fn complete(self: Box<Self>, reply: Result<&[u8], NoReply>);

    /// Whether the caller has stopped waiting (its ask timed out or was
    /// dropped).
    fn abandoned(&self) -> bool;
}

/// A message that arrived: what to deliver, and the reply to send back.
#[doc(hidden)]
pub struct Decoded<M> {
    pub message: M,
    /// `None` for a tell.
    pub reply: Option<ReplyWait>,
}

/// Resolves to the encoded reply of a message that arrived, or to why
/// there is none.
#[doc(hidden)]
pub type ReplyWait = Pin<Box<dyn Future<Output = Result<Vec<u8>, NoReply>> + Send>>;
