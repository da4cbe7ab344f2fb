//! `#[process(remote, durable)]`: tells that outlive the node they go to.
//!
//! Each registered name of a durable process has a JetStream stream,
//! `phyx_<ns>_d_<key>`, on the subject `phyx.<ns>.d.<key>`, and one durable
//! consumer on it. A handle publishes its tells there, each with a message
//! id (the server drops a second message with an id it saw within its
//! duplicate window) and with a reply subject for the server's
//! acknowledgement that it stored it. The node that serves the name takes
//! the stream's messages into the process's mailbox and acknowledges each
//! one only once its handler returned: a message in flight when that node
//! dies is delivered again, after the acknowledgement wait (the cluster's
//! detection time), to whoever registers the name next. Delivery is at
//! least once; a message delivered again is counted as
//! `EventKind::Redelivered`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::consumer::{self, AckPolicy, pull};
use async_nats::jetstream::message::AckKind;
use async_nats::jetstream::stream::{self, RetentionPolicy, StorageType};
use async_nats::{HeaderMap, StatusCode};
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use serde::Deserialize;

use crate::clock::Clock;
use crate::cluster::frame::Kind;
use crate::cluster::node::Node;
use crate::cluster::serve::{decode, read_checked};
use crate::cluster::traceparent;
use crate::event::EventKind;
use crate::id::Envelope;
use crate::kernel::addr::{Addr, Refused};
use crate::kernel::process::Message;
use crate::kernel::reply::{NoReply, Unreachable};
use crate::kernel::wire::{ReplyWait, Wire};
use crate::trace::TraceContext;

/// Messages of one durable process handed to it and not yet acknowledged,
/// at most: past it, the server waits.
const IN_FLIGHT: i64 = 1024;

/// How long the server remembers a message id to drop its duplicates.
const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);

/// The name of the consumer that feeds the process registered under a
/// name (one per stream).
const CONSUMER: &str = "process";

/// The headers of a durable tell: its message id, and the `traceparent`
/// of a traced method's.
pub(crate) fn headers(id: &str, trace: Option<TraceContext>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(async_nats::header::NATS_MESSAGE_ID, id);
    match trace {
        Some(trace) => traceparent::with(headers, trace),
        None => headers,
    }
}

/// What the server's answer to a durable tell says: stored, or why not.
pub(crate) fn stored(answer: &async_nats::Message) -> Result<&'static [u8], NoReply> {
    #[derive(Deserialize)]
    struct Answer {
        error: Option<Problem>,
    }
    #[derive(Deserialize)]
    struct Problem {
        description: String,
    }
    let failed = |why: String| Err(NoReply::Unreachable(Unreachable::Transport(why.into())));
    if answer.status == Some(StatusCode::NO_RESPONDERS) {
        return failed("the durable process's stream is gone from the NATS server; register the process again".into());
    }
    match serde_json::from_slice::<Answer>(&answer.payload) {
        Ok(Answer { error: None }) => Ok(&[]),
        Ok(Answer { error: Some(problem) }) => failed(format!(
            "the NATS server did not store the durable tell: {}",
            problem.description
        )),
        Err(error) => failed(format!(
            "the NATS server's answer to a durable tell did not read: {error}"
        )),
    }
}

/// Opens the stream of the name whose key is `key`, and its consumer,
/// making them if they are not there yet.
pub(crate) async fn open(node: &Node, key: &str) -> Result<consumer::Consumer<pull::Config>, String> {
    let stream = node
        .js
        .get_or_create_stream(stream::Config {
            name: node.subjects.durable_stream(key),
            subjects: vec![node.subjects.durable(key)],
            // A message is gone once acknowledged: the stream is the
            // process's queue of tells not yet handled.
            retention: RetentionPolicy::WorkQueue,
            storage: StorageType::File,
            duplicate_window: DUPLICATE_WINDOW,
            ..Default::default()
        })
        .await
        .map_err(|error| format!("could not open the durable stream: {error}"))?;
    stream
        .get_or_create_consumer(
            CONSUMER,
            pull::Config {
                durable_name: Some(CONSUMER.to_owned()),
                ack_policy: AckPolicy::Explicit,
                // A message not acknowledged within the detection time
                // went down with its node: it is delivered again.
                ack_wait: node.detection,
                max_ack_pending: IN_FLIGHT,
                ..Default::default()
            },
        )
        .await
        .map_err(|error| format!("could not open the durable stream's consumer: {error}"))
}

/// A message being handled: done once it is acknowledged (or left for
/// delivery again).
type Handling = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Feeds the stream's messages to the process at `addr`, each
/// acknowledged once handled, until the process stops for good (or the
/// task is aborted: what it had not acknowledged is delivered again).
pub(crate) async fn consume<M: Message>(
    consumer: consumer::Consumer<pull::Config>,
    addr: Addr<M>,
    wire: Wire<M>,
    max_payload: usize,
    clock: Arc<dyn Clock>,
    detection: Duration,
) {
    let mut messages = loop {
        match consumer.messages().await {
            Ok(messages) => break messages,
            Err(error) => {
                tracing::warn!(target: "phyx", process = %addr.core().name, %error, "could not read the durable stream; trying again");
                clock.sleep(detection / 3).await;
            }
        }
    };
    let mut handling: FuturesUnordered<Handling> = FuturesUnordered::new();
    let stopped = addr.core().stopped();
    tokio::pin!(stopped);
    loop {
        tokio::select! {
            biased;
            () = &mut stopped => break,
            Some(()) = handling.next(), if !handling.is_empty() => {}
            next = messages.next() => match next {
                None => break,
                Some(Err(error)) => {
                    tracing::warn!(target: "phyx", process = %addr.core().name, %error, "a durable message did not arrive");
                }
                Some(Ok(message)) => {
                    let taken = take(&addr, wire, max_payload, message).await;
                    match taken {
                        Taken::Handling(message, reply) => {
                            handling.push(Box::pin(acknowledge(message, reply, clock.clone(), detection / 3)));
                        }
                        Taken::Done => {}
                        Taken::Stopped => break,
                    }
                }
            }
        }
    }
    // Handlers still running finish or are dropped with the process:
    // what they had not acknowledged is delivered again.
    while handling.next().await.is_some() {}
}

enum Taken {
    Handling(Box<async_nats::jetstream::Message>, ReplyWait),
    /// Nothing to wait for: acknowledged, or set aside.
    Done,
    /// The process stopped for good: the message stays in the stream.
    Stopped,
}

/// Delivers one message into the mailbox, waiting for room whatever the
/// overflow policy: a durable tell is not dropped.
async fn take<M: Message>(
    addr: &Addr<M>,
    wire: Wire<M>,
    max_payload: usize,
    message: async_nats::jetstream::Message,
) -> Taken {
    let attempt = message
        .info()
        .map_or(1, |info| u64::try_from(info.delivered).unwrap_or(1));
    let id: Arc<str> = message
        .headers
        .as_ref()
        .and_then(|headers| headers.get(async_nats::header::NATS_MESSAGE_ID))
        .map_or_else(|| "(no id)".into(), |id| id.as_str().into());
    if attempt > 1 {
        addr.publish(EventKind::Redelivered {
            id: id.clone(),
            delivery: attempt,
        });
    }
    let decoded = read_checked(addr, wire, &message.payload, max_payload).and_then(|(request, args)| {
        if request.kind == Kind::Tell {
            // As an ask, to hear when its handler returned.
            decode(addr, wire, request.method, args, true)
        } else {
            Err("a durable stream holds tells only".to_owned())
        }
    });
    let mut decoded = match decoded {
        Ok(decoded) => decoded,
        Err(reason) => {
            addr.publish(EventKind::WireRejected { reason: reason.into() });
            // Never deliverable: not again either.
            let _ = message.ack_with(AckKind::Term).await;
            return Taken::Done;
        }
    };
    (wire.deliver)(&mut decoded.message, Envelope::durable(id, attempt));
    traceparent::fill(addr, &mut decoded.message, message.headers.as_ref());
    let Some(reply) = decoded.reply else {
        let _ = message.ack().await;
        return Taken::Done;
    };
    let delivered = match addr.try_deliver(decoded.message) {
        Err(Refused::Full(back)) => addr.deliver(back).await,
        other => other,
    };
    match delivered {
        Ok(()) => Taken::Handling(Box::new(message), reply),
        Err(Refused::Stopped(_)) => Taken::Stopped,
        // The mailbox's policy refuses when full: again a little later.
        Err(Refused::Full(_) | Refused::Unreachable(_)) => {
            let _ = message.ack_with(AckKind::Nak(Some(Duration::from_millis(100)))).await;
            Taken::Done
        }
    }
}

/// Acknowledges `message` once its handler returned (or panicked: it was
/// handled, and would only panic again), telling the server meanwhile,
/// every `progress`, that it is still being handled. One dropped unhandled
/// (the process stopped, or the mailbox dropped it) is left for delivery
/// again.
async fn acknowledge(
    message: Box<async_nats::jetstream::Message>,
    reply: ReplyWait,
    clock: Arc<dyn Clock>,
    progress: Duration,
) {
    tokio::pin!(reply);
    let outcome = loop {
        tokio::select! {
            outcome = &mut reply => break outcome,
            () = clock.sleep(progress) => {
                let _ = message.ack_with(AckKind::Progress).await;
            }
        }
    };
    let kind = match outcome {
        Ok(_) | Err(NoReply::Panicked(_)) => AckKind::Ack,
        Err(_) => AckKind::Nak(None),
    };
    let _ = message.ack_with(kind).await;
}
