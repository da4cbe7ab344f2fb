//! Processes on other OS processes and machines, through a NATS server
//! (feature `cluster`).
//!
//! A node is a [`System`](crate::System) that joined a cluster with
//! [`SystemBuilder::connect`](crate::SystemBuilder::connect). A process
//! whose `impl` says `#[process(remote)]` and that is
//! [registered](crate::System::register) on one node is reached from every
//! other by [`lookup`](crate::System::lookup), with the same handle type,
//! the same calls and the same errors, plus one:
//! [`CallError::NodeDown`](crate::CallError::NodeDown).
//!
//! | call | on the wire | guarantee |
//! |---|---|---|
//! | `.await` (ask) | NATS request/reply | a reply, or a `CallError` (at most once) |
//! | `.send()` (tell) | NATS publish | at most once; refused with `MailboxFull` while 4,096 of the handle's tells are not yet known to be in the remote mailbox |
//! | `.send_wait()` | request/reply, answered when the message is in the remote mailbox | in the mailbox, or a `SendError` |
//! | a tell to a `#[process(remote, durable)]` process | JetStream publish, a message id, acknowledged once its handler returned | at least once; the handler's [`Envelope`](crate::Envelope) has the id |
//!
//! Arguments and replies cross as [postcard](https://docs.rs/postcard);
//! each message carries a hash of the process's method signatures, so two
//! builds that disagree refuse each other's messages with a clear error
//! instead of misreading them. See the crate README for the failure
//! semantics (what a partition does, how long detection takes).
//!
//! A message (its arguments and a 12-byte header) and a reply (the value
//! and a status byte) are at most the NATS server's `max_payload`: 1 MiB
//! unless the server's configuration says otherwise, read when the node
//! connects. A larger one is not sent: the ask fails with
//! [`CallError::Transport`](crate::CallError::Transport), the tell with
//! [`SendError::Transport`](crate::SendError::Transport), naming both
//! sizes; for a reply, once the handler has run.

mod codec;
mod config;
mod durable;
mod error;
mod frame;
#[cfg(feature = "journal")]
pub(crate) mod journal;
#[cfg(feature = "journal")]
pub use crate::cluster::journal::JetStreamJournal;
mod link;
mod liveness;
mod names;
mod node;
mod publish;
mod remote;
mod serve;
mod subjects;
mod traceparent;

pub use self::codec::Wire;
pub use self::config::Credentials;
pub use self::error::ClusterError;
pub use self::remote::Remote;

pub(crate) use self::config::ClusterConfig;
pub(crate) use self::names::{lookup, register, register_pool, unregister};
pub(crate) use self::node::Node;

/// What isolated processes (feature `isolated`) build on: the frames, the
/// serving loop and the subjects of the cluster.
#[cfg(feature = "isolated")]
pub(crate) mod parts {
    pub(crate) use super::frame::{Kind, Reply, Request, freeze, read_reply, request_buffer, write_request};
    pub(crate) use super::node::random_u64;
    pub(crate) use super::serve::Serving;
    pub(crate) use super::subjects::Subjects;
}

/// For the macros (`phyx::__private`).
pub(crate) mod private {
    pub use super::codec::{Codec, WireType, codec, finish, pending, reply_wait};
}
