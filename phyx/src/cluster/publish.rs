//! Publishing from the caller's own thread: a handle's message goes
//! straight into the NATS client's queue, with no task of phyx's between.
//!
//! `send()` is synchronous and async-nats's `publish` is not; but the
//! client is also a `Sink`, whose `poll_ready` reserves a slot in its
//! queue without waiting. Polled once, it either has the slot (the message
//! is then encoded and sent into it) or reports the queue full before
//! anything was encoded, so that the caller gets its message back.

use std::future::Future;
use std::pin::pin;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use async_nats::Client;
use async_nats::message::OutboundMessage;
use futures_util::Sink;

/// One handle's way into the client's queue. Its own clone of the client:
/// a reserved slot belongs to the `Sink` that reserved it.
pub(crate) struct Publisher {
    client: Mutex<Client>,
}

/// Why nothing was published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Busy {
    /// The client's queue is full: the connection is behind.
    Full,
    /// The connection is closed for good.
    Closed,
}

/// A slot reserved in the client's queue, held with the lock, so that
/// nobody else's message takes it.
pub(crate) struct Slot<'a>(MutexGuard<'a, Client>);

impl Publisher {
    pub(crate) fn new(client: &Client) -> Self {
        Self {
            client: Mutex::new(client.clone()),
        }
    }

    /// A slot for one message, if the queue has one now.
    pub(crate) fn try_reserve(&self) -> Result<Slot<'_>, Busy> {
        let mut client = self.client.lock().unwrap_or_else(PoisonError::into_inner);
        let mut context = Context::from_waker(Waker::noop());
        // Unconstrained: tokio's cooperative budget would otherwise make a
        // task that sends many messages in one poll see the queue "full".
        let ready = pin!(tokio::task::unconstrained(std::future::poll_fn(|cx| {
            Poll::Ready(Sink::<OutboundMessage>::poll_ready(
                std::pin::Pin::new(&mut *client),
                cx,
            ))
        })))
        .poll(&mut context);
        match ready {
            Poll::Ready(Poll::Ready(Ok(()))) => Ok(Slot(client)),
            Poll::Ready(Poll::Ready(Err(_))) => Err(Busy::Closed),
            Poll::Ready(Poll::Pending) | Poll::Pending => Err(Busy::Full),
        }
    }
}

impl Slot<'_> {
    /// Sends `message` into the reserved slot. A failure means the
    /// connection closed for good: the node's asks then fail as it
    /// leaves.
    pub(crate) fn send(mut self, message: OutboundMessage) {
        let _ = Sink::start_send(std::pin::Pin::new(&mut *self.0), message);
    }
}
