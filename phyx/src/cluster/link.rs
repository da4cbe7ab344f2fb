//! The caller's side of a remote process: a handle whose address has no
//! process behind it on this node, only a [`Divert`] that encodes each
//! message and publishes it from the caller's thread.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use async_nats::message::OutboundMessage;
use async_nats::{HeaderMap, Subject};
use tokio::sync::oneshot;

use crate::cluster::durable;
use crate::cluster::frame::{self, Kind, Request};
use crate::cluster::node::{Expect, Node, Peer, Proxy};
use crate::cluster::publish::{Busy, Publisher};
use crate::cluster::traceparent;
use crate::event::StopReason;
use crate::kernel::addr::{Addr, Divert, Diverted, Refused, Shared, WaitForRoom};
use crate::kernel::process::{Message, Status};
use crate::kernel::reply::{NoReply, Unreachable};
use crate::kernel::run::finish;
use crate::kernel::system::SystemInner;
use crate::kernel::wire::{Encoded, PendingReply, Wire};
use crate::mailbox::Overflow;
use crate::options::SpawnOptions;
use crate::trace::TraceContext;

/// The address of process `name`, served on `subject` by `peer` (`None`:
/// a pool across nodes, served by its members).
pub(crate) fn remote_addr<M: Message>(
    system: &Arc<SystemInner>,
    node: &Arc<Node>,
    peer: Option<Arc<Peer>>,
    name: &str,
    subject: String,
    durable: Option<String>,
    wire: Wire<M>,
) -> Addr<M> {
    // Asks wait for room in the NATS client's queue; tells that find it
    // full are refused.
    let settings = SpawnOptions::new()
        .name(name)
        .overflow(Overflow::Backpressure)
        .resolve("remote");
    let shared = Arc::new(Shared::new(system, None, &settings));
    shared.core.set_status(Status::Running);
    if !wire.guards.is_empty() {
        let _ = shared
            .core
            .guards
            .set(crate::resilience::build(&system.clock, wire.guards));
    }
    if wire.caches > 0 {
        let _ = shared.core.caches.set(crate::cache::Caches::new(wire.caches));
    }
    let link = Link {
        process: name.into(),
        publisher: Publisher::new(&node.client),
        window: Arc::default(),
        durable: durable.map(Subject::from),
        halted: AtomicBool::new(false),
        node: Arc::downgrade(node),
        peer: peer.clone(),
        subject: subject.into(),
        wire,
        proxy: Arc::downgrade(&shared),
    };
    let _ = shared.divert.set(Box::new(link));
    node.attach(peer.as_deref(), Box::new(Arc::downgrade(&shared)));
    Addr::new(shared)
}

impl<M: Message> Proxy for Weak<Shared<M>> {
    fn end(&self, reason: StopReason) {
        if let Some(shared) = self.upgrade()
            && shared.core.status() != Status::Stopped
        {
            finish(&Addr::new(shared), reason);
        }
    }

    fn is_dropped(&self) -> bool {
        self.strong_count() == 0
    }
}

struct Link<M> {
    /// The name it was looked up by, for warnings.
    process: Arc<str>,
    publisher: Publisher,
    window: Arc<Window>,
    /// A durable process's stream subject, where its tells go.
    durable: Option<Subject>,
    /// Stopped by its user (`Handle::stop`): a durable handle's tells
    /// outlive its process's node, not that.
    halted: AtomicBool,
    node: Weak<Node>,
    peer: Option<Arc<Peer>>,
    subject: Subject,
    wire: Wire<M>,
    proxy: Weak<Shared<M>>,
}

/// Tells a handle may have on their way to one remote process, not yet
/// known to be in its mailbox. A tell is a publish, and nothing stops a
/// sender that outruns the process from overflowing the NATS subscription
/// in front of it, where the surplus would be dropped unseen. Past the
/// window, `send()` is refused with `MailboxFull` and the message back,
/// as a full local mailbox refuses it, until the process catches up.
const WINDOW: u64 = 4096;

/// Every this many tells, one asks to hear that it entered the mailbox:
/// that answer moves the window on.
const CREDIT_EVERY: u64 = WINDOW / 4;

/// A handle's count of tells sent, and how many of them are known to be
/// in the remote mailbox (or past caring: refused there, or its node
/// gone).
#[derive(Default)]
struct Window {
    sent: AtomicU64,
    landed: AtomicU64,
}

impl Window {
    fn is_full(&self) -> bool {
        let landed = self.landed.load(Ordering::Acquire);
        self.sent.load(Ordering::Relaxed).saturating_sub(landed) >= WINDOW
    }
}

/// The answer to the tell that closes each `CREDIT_EVERY`: whatever it
/// says, or if it never comes (the ask is forgotten), the tells up to it
/// no longer count against the window.
struct Credit {
    window: Arc<Window>,
    upto: u64,
    /// The process whose durable tell this confirms, to name in the
    /// warning if the server did not store it (nobody else hears it).
    durable: Option<Arc<str>>,
}

impl PendingReply for Credit {
    fn complete(self: Box<Self>, answer: Result<&[u8], NoReply>) {
        if let (Some(process), Err(why)) = (&self.durable, answer) {
            tracing::warn!(target: "phyx", %process, "a durable tell was not stored, and is lost: {why:?}");
        }
    }

    fn abandoned(&self) -> bool {
        false
    }
}

impl Drop for Credit {
    fn drop(&mut self) {
        self.window.landed.fetch_max(self.upto, Ordering::AcqRel);
    }
}

/// Where a `send_wait` hears that its message entered the remote mailbox.
struct Ack(oneshot::Sender<Result<(), NoReply>>);

impl PendingReply for Ack {
    fn complete(self: Box<Self>, reply: Result<&[u8], NoReply>) {
        let _ = self.0.send(reply.map(drop));
    }

    fn abandoned(&self) -> bool {
        self.0.is_closed()
    }
}

impl<M: Message> Link<M> {
    /// This node, if the handle still reaches anything: not once its
    /// peer is down (`NodeDown`), this node has left or the handle was
    /// stopped (`Stopped`). A durable process's handle reaches its stream
    /// until this node leaves or its user stops it.
    fn node(&self) -> Result<Arc<Node>, Unreachable> {
        let node = self.node.upgrade().filter(|node| !node.has_left());
        if self.durable.is_some() {
            return node
                .filter(|_| !self.halted.load(Ordering::Acquire))
                .ok_or(Unreachable::Stopped);
        }
        if let Some(peer) = self.peer.as_ref().filter(|peer| peer.is_down()) {
            return Err(Unreachable::NodeDown(peer.name.clone()));
        }
        let stopped = self.proxy.upgrade().is_none_or(|proxy| proxy.mailbox.is_closed());
        node.filter(|_| !stopped).ok_or(Unreachable::Stopped)
    }

    /// Encodes `message` into the frame to publish, filing its reply.
    /// `ack`: a `send_wait`'s, which waits for room instead of a reply.
    fn frame(
        &self,
        node: &Node,
        mut message: M,
        ack: Option<Box<dyn PendingReply>>,
    ) -> Result<OutboundMessage, Unreachable> {
        let trace = traceparent::take(&mut message);
        let (mut payload, encoded) = self.encode(node, message)?;
        // A durable process's tells go to its stream, whichever node
        // serves it and whether one does now; its asks go to the process.
        if let (Some(stream), None) = (&self.durable, &encoded.reply) {
            return Ok(self.durable_frame(node, stream, payload, encoded.method, trace));
        }
        if let Some(peer) = self.peer.as_ref().filter(|peer| peer.is_down()) {
            let why = Unreachable::NodeDown(peer.name.clone());
            if let Some(reply) = encoded.reply {
                reply.complete(Err(NoReply::Unreachable(why.clone())));
            }
            return Err(why);
        }
        let (kind, reply) = match (ack, encoded.reply) {
            (Some(ack), _) => (Kind::TellWait, Some(ack)),
            (None, Some(reply)) => (Kind::Ask, Some(reply)),
            (None, None) => self.tell(),
        };
        frame::write_request(
            &mut payload,
            Request {
                kind,
                schema: self.wire.schema,
                method: encoded.method,
            },
        );
        let reply = match reply {
            Some(reply) => match node.wait_for_reply(self.peer.as_ref(), Expect::Reply, reply) {
                Ok(seq) => Some(Subject::from(node.subjects.reply(seq))),
                Err(reply) => {
                    let why = match &self.peer {
                        Some(peer) => Unreachable::NodeDown(peer.name.clone()),
                        None => Unreachable::Stopped,
                    };
                    reply.complete(Err(NoReply::Unreachable(why.clone())));
                    return Err(why);
                }
            },
            None => None,
        };
        Ok(OutboundMessage {
            subject: self.subject.clone(),
            reply,
            payload: frame::freeze(payload),
            headers: trace.map(|trace| traceparent::with(HeaderMap::new(), trace)),
        })
    }

    /// Writes `message`'s arguments after the space for the header.
    fn encode(&self, node: &Node, message: M) -> Result<(Vec<u8>, Encoded), Unreachable> {
        let mut payload = frame::request_buffer();
        let encoded = (self.wire.encode)(message, &mut payload);
        if let Some(error) = encoded.error {
            return Err(Unreachable::Transport(error.into()));
        }
        if payload.len() > node.max_payload {
            return Err(Unreachable::Transport(
                format!(
                    "the message is {} bytes, more than the cluster's maximum of {} (the server's `max_payload`)",
                    payload.len(),
                    node.max_payload
                )
                .into(),
            ));
        }
        Ok((payload, encoded))
    }

    /// A `send_wait` to a durable process: back once the server stored
    /// the tell in `stream`, its acknowledgement taken by the NATS
    /// client's own request handling (no task of phyx's between).
    async fn store(&self, node: &Node, stream: &Subject, mut message: M) -> Result<(), Unreachable> {
        let trace = traceparent::take(&mut message);
        let (mut payload, encoded) = self.encode(node, message)?;
        frame::write_request(
            &mut payload,
            Request {
                kind: Kind::Tell,
                schema: self.wire.schema,
                method: encoded.method,
            },
        );
        let not_stored = |error: String| {
            Unreachable::Transport(format!("the NATS server did not store the durable tell: {error}").into())
        };
        let stored = node
            .js
            .publish_with_headers(
                stream.clone(),
                durable::headers(&node.message_id(), trace),
                frame::freeze(payload),
            )
            .await
            .map_err(|error| not_stored(error.to_string()))?;
        stored.await.map(drop).map_err(|error| not_stored(error.to_string()))
    }

    /// A `send()` into the durable process's `stream`, with a message id;
    /// the server's acknowledgement that it stored it moves the window on.
    /// (A `send_wait` goes through [`store`](Self::store).)
    fn durable_frame(
        &self,
        node: &Node,
        stream: &Subject,
        mut payload: Vec<u8>,
        method: u16,
        trace: Option<TraceContext>,
    ) -> OutboundMessage {
        frame::write_request(
            &mut payload,
            Request {
                kind: Kind::Tell,
                schema: self.wire.schema,
                method,
            },
        );
        let sent = self.window.sent.fetch_add(1, Ordering::Relaxed) + 1;
        let stored = Box::new(Credit {
            window: self.window.clone(),
            upto: sent,
            durable: Some(self.process.clone()),
        });
        // Fails only once this node has left; the answer then is lost,
        // and the tell with it, as the node's.
        let reply = node
            .wait_for_reply(None, Expect::Stored, stored)
            .ok()
            .map(|seq| Subject::from(node.subjects.reply(seq)));
        OutboundMessage {
            subject: stream.clone(),
            reply,
            payload: frame::freeze(payload),
            headers: Some(durable::headers(&node.message_id(), trace)),
        }
    }

    /// How a tell goes: counted in the window, and every
    /// `CREDIT_EVERY`th waits to hear it landed.
    fn tell(&self) -> (Kind, Option<Box<dyn PendingReply>>) {
        let sent = self.window.sent.fetch_add(1, Ordering::Relaxed) + 1;
        if sent.is_multiple_of(CREDIT_EVERY) {
            let credit = Credit {
                window: self.window.clone(),
                upto: sent,
                durable: None,
            };
            (Kind::TellWait, Some(Box::new(credit)))
        } else {
            (Kind::Tell, None)
        }
    }

    /// Encodes `message` and publishes it once the client's queue has
    /// room.
    async fn publish(&self, node: &Node, message: M, ack: Option<Box<dyn PendingReply>>) -> Result<(), Unreachable> {
        let OutboundMessage {
            subject,
            reply,
            payload,
            headers,
        } = self.frame(node, message, ack)?;
        // Fails only once the connection is closed for good; the node's
        // asks then fail as it leaves.
        let _ = match (reply, headers) {
            (reply, Some(headers)) => {
                use async_nats::client::traits::Publisher as _;
                let message = OutboundMessage {
                    subject,
                    reply,
                    payload,
                    headers: Some(headers),
                };
                node.client.publish_message(message).await
            }
            (Some(reply), None) => node.client.publish_with_reply(subject, reply, payload).await,
            (None, None) => node.client.publish(subject, payload).await,
        };
        Ok(())
    }
}

impl<M: Message> Divert<M> for Link<M> {
    fn try_divert(&self, message: M) -> Diverted<M> {
        let node = match self.node() {
            Ok(node) => node,
            Err(why) => return Diverted::Done(Err(Refused::Unreachable(why))),
        };
        // An ask refused here waits for room instead (`divert`), which
        // the window does not hold up: it waits for its own reply.
        if self.window.is_full() {
            return Diverted::Done(Err(Refused::Full(message)));
        }
        // The slot first: a message refused for want of room comes back
        // unencoded.
        let slot = match self.publisher.try_reserve() {
            Ok(slot) => slot,
            Err(Busy::Full) => return Diverted::Done(Err(Refused::Full(message))),
            Err(Busy::Closed) => return Diverted::Done(Err(Refused::Unreachable(Unreachable::Stopped))),
        };
        Diverted::Done(
            self.frame(&node, message, None)
                .map(|outbound| slot.send(outbound))
                .map_err(Refused::Unreachable),
        )
    }

    fn divert(&self, message: M) -> Pin<Box<dyn Future<Output = Diverted<M>> + Send + '_>> {
        Box::pin(async move {
            let node = match self.node() {
                Ok(node) => node,
                Err(why) => return Diverted::Done(Err(Refused::Unreachable(why))),
            };
            Diverted::Done(self.publish(&node, message, None).await.map_err(Refused::Unreachable))
        })
    }

    fn send_wait(&self, message: M) -> Result<WaitForRoom<'_>, M> {
        Ok(Box::pin(async move {
            let node = self.node()?;
            if let Some(stream) = &self.durable {
                return self.store(&node, stream, message).await;
            }
            let (ack, accepted) = oneshot::channel();
            self.publish(&node, message, Some(Box::new(Ack(ack)))).await?;
            drop(node);
            match accepted.await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(NoReply::Unreachable(why))) => Err(why),
                Ok(Err(_)) | Err(_) => Err(Unreachable::Stopped),
            }
        }))
    }

    /// Stops the process on its node, then ends this handle. A pool
    /// across nodes is no one process: stopping its handle ends the
    /// handle, and the members keep serving the other nodes.
    fn stop(&self) -> bool {
        self.halted.store(true, Ordering::Release);
        let Some(proxy) = self.proxy.upgrade() else {
            return false;
        };
        let (Ok(node), Some(_)) = (self.node(), &self.peer) else {
            finish(&Addr::new(proxy), StopReason::Shutdown);
            return true;
        };
        let (subject, peer, schema) = (self.subject.clone(), self.peer.clone(), self.wire.schema);
        tokio::spawn(async move {
            let (ack, stopped) = oneshot::channel();
            if let Ok(seq) = node.wait_for_reply(peer.as_ref(), Expect::Reply, Box::new(Ack(ack))) {
                let mut payload = frame::request_buffer();
                frame::write_request(
                    &mut payload,
                    Request {
                        kind: Kind::Stop,
                        schema,
                        method: 0,
                    },
                );
                // Into the client's queue, after the tells sent before it.
                let reply = Subject::from(node.subjects.reply(seq));
                if node
                    .client
                    .publish_with_reply(subject, reply, frame::freeze(payload))
                    .await
                    .is_err()
                {
                    node.forget(seq);
                }
                drop(node);
                let _ = stopped.await;
            }
            if proxy.core.status() != Status::Stopped {
                finish(&Addr::new(proxy), StopReason::Shutdown);
            }
        });
        true
    }
}
