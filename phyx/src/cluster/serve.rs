//! The process's side: one task per registered remote process takes the
//! messages published on its subject, in order, into its mailbox, and
//! sends back the replies as its handlers give them.
//!
//! Nothing a stranger publishes there can hurt the process: a frame that
//! does not read (truncated, wrong version, unknown method, bytes that do
//! not decode, a build whose methods differ) is dropped and counted as an
//! `EventKind::WireRejected`, answered with the reason if it asked.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use async_nats::{Client, Subject};
use futures_util::stream::FuturesUnordered;
use futures_util::{FutureExt, StreamExt};
use tokio::sync::oneshot;

use crate::cluster::frame::{self, Kind};
use crate::cluster::traceparent;
use crate::event::EventKind;
use crate::kernel::addr::{Addr, Refused};
use crate::kernel::process::Message;
use crate::kernel::reply::{NoReply, Unreachable};
use crate::kernel::wire::{Decoded, Wire};

/// Messages taken in one round of the serving loop, at most.
const BATCH: usize = 64;

/// A reply on its way: where it goes, and the bytes once the handler gave
/// them.
type Replying = Pin<Box<dyn Future<Output = (Subject, Vec<u8>)> + Send>>;

/// What serves one registered process.
pub(crate) struct Serving<M: Message> {
    pub(crate) client: Client,
    pub(crate) addr: Addr<M>,
    pub(crate) wire: Wire<M>,
    pub(crate) max_payload: usize,
    /// This node's name: a process stopped by its node's shutdown tells
    /// its callers that the node is going (`NodeDown`).
    pub(crate) node: Arc<str>,
    /// For a pool member: what it answers first to each ask it takes,
    /// naming its node (see `frame::taken_reply`).
    pub(crate) taken: Option<Vec<u8>>,
}

impl<M: Message> Serving<M> {
    /// Serves until the process stops for good, the name is released
    /// (`cancelled`) or the subscription ends.
    /// `release` runs once it stops serving, before the replies still owed
    /// go out: a caller told its stop is done finds the name released.
    pub(crate) async fn run(
        self,
        mut subscriber: async_nats::Subscriber,
        cancelled: oneshot::Receiver<()>,
        release: impl Future<Output = ()>,
    ) {
        let mut replies: FuturesUnordered<Replying> = FuturesUnordered::new();
        let stopped = self.addr.core().stopped();
        tokio::pin!(stopped, cancelled);
        loop {
            tokio::select! {
                biased;
                // First: a reply made ready by the stop (a stop's own
                // answer) goes out after the release.
                () = &mut stopped => break,
                _ = &mut cancelled => break,
                // Not polled while empty: an empty set would register the
                // waker again for every message.
                Some((to, reply)) = replies.next(), if !replies.is_empty() => self.send(to, reply).await,
                message = subscriber.next() => {
                    let Some(message) = message else { break };
                    if let Some(replying) = self.take(message).await {
                        replies.push(replying);
                    }
                    // What already waits is taken without the select's
                    // other branches, while the process takes messages;
                    // the stop, the release and the replies come next
                    // round.
                    for _ in 1..BATCH {
                        if self.addr.is_closed() {
                            break;
                        }
                        let Some(Some(message)) = subscriber.next().now_or_never() else { break };
                        if let Some(replying) = self.take(message).await {
                            replies.push(replying);
                        }
                    }
                }
            }
        }
        let _ = subscriber.unsubscribe().await;
        release.await;
        // What the handlers still owe: each resolves, with its value or
        // with why not.
        while let Some((to, reply)) = replies.next().await {
            self.send(to, reply).await;
        }
    }

    /// Sends a reply; one too large to cross becomes a failure that says
    /// so.
    async fn send(&self, to: Subject, mut reply: Vec<u8>) {
        if frame::is_stopped(&reply) && self.addr.core().system.shutting_down.is_raised() {
            reply = frame::leaving_reply(&self.node);
        }
        if reply.len() > self.max_payload {
            let reason = format!(
                "the reply is {} bytes, more than the cluster's maximum of {} (the server's `max_payload`)",
                reply.len(),
                self.max_payload
            );
            reply = frame::failure_reply(&NoReply::Unreachable(Unreachable::Transport(reason.into())));
        }
        let _ = self.client.publish(to, frame::freeze(reply)).await;
    }

    /// Delivers one message; the reply to wait for, if it asked.
    async fn take(&self, message: async_nats::Message) -> Option<Replying> {
        let addr = &self.addr;
        let (reply_to, headers) = (message.reply, message.headers);
        let immediate = |bytes: Vec<u8>| -> Option<Replying> {
            let to = reply_to.clone()?;
            Some(Box::pin(async move { (to, bytes) }))
        };
        let decoded = match read(addr, self.wire, &message.payload, self.max_payload, reply_to.is_some()) {
            Ok(decoded) => decoded,
            Err(reason) => {
                addr.publish(EventKind::WireRejected {
                    reason: reason.clone().into(),
                });
                let why = NoReply::Unreachable(Unreachable::Transport(reason.into()));
                return immediate(frame::failure_reply(&why));
            }
        };
        let (kind, Decoded { mut message, reply }) = match decoded {
            Incoming::Stop if self.taken.is_some() => {
                let reason = "a member of a pool across nodes is not stopped from another node";
                addr.publish(EventKind::WireRejected { reason: reason.into() });
                let why = NoReply::Unreachable(Unreachable::Transport(reason.into()));
                return immediate(frame::failure_reply(&why));
            }
            Incoming::Stop => {
                let node = addr.node();
                let to = reply_to?;
                return Some(Box::pin(async move {
                    node.request_stop();
                    node.core().stopped().await;
                    (to, frame::accepted_reply())
                }));
            }
            Incoming::Message(kind, decoded) => (kind, decoded),
        };
        if let (Some(taken), Some(to), true) = (&self.taken, &reply_to, kind != Kind::Tell) {
            let _ = self.client.publish(to.clone(), taken.clone().into()).await;
        }
        traceparent::fill(addr, &mut message, headers.as_ref());
        let method = message.method();
        // Under backpressure every message waits for room here, tells
        // too: their senders' windows (`link.rs`) bound what piles up
        // behind, and a tell refused here would be lost unseen.
        let delivered = match addr.try_deliver(message) {
            Err(Refused::Full(message)) if addr.waits_for_room() => addr.deliver(message).await,
            other => other,
        };
        match (delivered, kind) {
            (Ok(()), Kind::TellWait) => immediate(frame::accepted_reply()),
            (Ok(()), _) => {
                let (to, reply) = (reply_to?, reply?);
                Some(Box::pin(async move {
                    let bytes = match reply.await {
                        Ok(value) => frame::value_reply(value),
                        Err(why) => frame::failure_reply(&why),
                    };
                    (to, bytes)
                }))
            }
            (Err(refused), _) => {
                let why = match refused {
                    Refused::Full(_) => {
                        addr.publish(EventKind::MessageRejected { method });
                        Unreachable::Full
                    }
                    Refused::Stopped(_) => Unreachable::Stopped,
                    Refused::Unreachable(why) => why,
                };
                immediate(frame::failure_reply(&NoReply::Unreachable(why)))
            }
        }
    }
}

enum Incoming<M> {
    Message(Kind, Decoded<M>),
    Stop,
}

/// Reads a frame, never panicking on what a stranger sent.
fn read<M: Message>(
    addr: &Addr<M>,
    wire: Wire<M>,
    bytes: &[u8],
    max_payload: usize,
    has_reply: bool,
) -> Result<Incoming<M>, String> {
    let (request, args) = read_checked(addr, wire, bytes, max_payload)?;
    if request.kind == Kind::Stop {
        // A handle's stop waits to hear that the process stopped.
        return if has_reply {
            Ok(Incoming::Stop)
        } else {
            Err("a stop without a reply subject".to_owned())
        };
    }
    let ask = request.kind == Kind::Ask;
    if ask && !has_reply {
        return Err("an ask without a reply subject".to_owned());
    }
    decode(addr, wire, request.method, args, ask).map(|decoded| Incoming::Message(request.kind, decoded))
}

/// A frame's header, checked: its size, its version and the sender's
/// build of the process (the schema); and its arguments.
pub(crate) fn read_checked<'a, M: Message>(
    addr: &Addr<M>,
    wire: Wire<M>,
    bytes: &'a [u8],
    max_payload: usize,
) -> Result<(frame::Request, &'a [u8]), String> {
    if bytes.len() > max_payload {
        return Err(format!(
            "a message of {} bytes is over the maximum of {max_payload}",
            bytes.len()
        ));
    }
    let (request, args) = frame::read_request(bytes)?;
    if request.schema != wire.schema {
        return Err(format!(
            "the sender's build of `{}` has other methods (schema {:016x}, here {:016x}); run the same build on every node",
            addr.core().name,
            request.schema,
            wire.schema
        ));
    }
    Ok((request, args))
}

/// Rebuilds the message of method number `method` from `args`; `ask`:
/// with the future of its reply.
pub(crate) fn decode<M: Message>(
    addr: &Addr<M>,
    wire: Wire<M>,
    method: u16,
    args: &[u8],
    ask: bool,
) -> Result<Decoded<M>, String> {
    // A user type's `Deserialize` may panic on bytes it did not expect.
    let decoded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        crate::kernel::current::as_process(addr.core(), || (wire.decode)(method, args, ask))
    }));
    match decoded {
        Ok(decoded) => decoded,
        Err(payload) => Err(format!(
            "decoding method number {method} panicked: {}",
            crate::panic::panic_message(payload)
        )),
    }
}
