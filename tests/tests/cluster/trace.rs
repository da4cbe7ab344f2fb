//! Traces across nodes: a traced call to a process on another node
//! carries its caller's context as a W3C `traceparent` header, and the
//! serving node's handler span continues the trace by ids (asks, tells,
//! durable tells, across a restart); a stranger's malformed header is
//! ignored and counted, never a crash.
//!
//! Two nodes in this OS process, on one current-thread runtime, so that
//! the test's span sink (a subscriber of this thread) sees both.

use std::future::{Future, IntoFuture, poll_fn};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_core::Stream;
use phyx::event::{Event, EventKind};
use phyx::prelude::*;
use phyx::trace::{self, TraceContext};
use phyx_testkit::nats::NatsServer;

use crate::fixture::{DETECTION, node, server};
use crate::trace_sink::{Kept, Sink};

/// A hang guard, never a timing assertion: what takes this long is stuck.
const GUARD: Duration = Duration::from_secs(10);

/// The `traceparent` of each traced handler's context, as it saw it.
fn here() -> Option<String> {
    trace::current().map(|context| context.traceparent())
}

#[derive(Default)]
struct Ledger {
    told: Vec<Option<String>>,
}

#[process(remote)]
impl Ledger {
    /// Its context.
    #[public]
    #[trace]
    fn ask(&self) -> Option<String> {
        here()
    }

    /// Keeps its context.
    #[public]
    #[trace]
    fn tell(&mut self) {
        self.told.push(here());
    }

    /// Not traced: keeps its context, which is none.
    #[public]
    fn plain(&mut self) {
        self.told.push(here());
    }

    /// Panics.
    #[public]
    #[trace]
    fn crash(&self) {
        panic!("the ledger crashes");
    }

    /// What the tells saw, in order.
    #[public]
    fn told(&self) -> Vec<Option<String>> {
        self.told.clone()
    }
}

/// A process on the caller's node, calling the ledger on the other.
struct Front {
    ledger: LedgerRef,
}

#[process]
impl Front {
    /// Its own context, and the ledger's.
    #[public]
    #[trace]
    async fn forward(&self) -> (Option<String>, Option<String>) {
        (here(), self.ledger.ask().await.expect("the ledger answers"))
    }

    /// Tells the ledger, once the tell is in its mailbox; its own context.
    #[public]
    #[trace]
    async fn forward_tell(&self) -> Option<String> {
        self.ledger.tell().send_wait().await.expect("the ledger takes it");
        here()
    }
}

/// The events of one node.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<EventKind>>>);

impl Seen {
    fn sink(&self) -> impl Fn(&Event) + Send + Sync + 'static {
        let seen = self.clone();
        move |event: &Event| seen.0.lock().unwrap().push(event.kind.clone())
    }

    fn ignored(&self) -> Vec<&'static str> {
        let seen = self.0.lock().unwrap();
        seen.iter()
            .filter_map(|kind| match kind {
                EventKind::TraceparentIgnored { method } => Some(*method),
                _ => None,
            })
            .collect()
    }
}

async fn within<F: IntoFuture>(what: &str, future: F) -> F::Output {
    tokio::time::timeout(GUARD, future.into_future())
        .await
        .unwrap_or_else(|_| panic!("{what} hung: nothing within {GUARD:?}"))
}

/// What `check` finds, asked again every few milliseconds; fails the test
/// if it finds nothing within [`GUARD`].
async fn until<T, F: Future<Output = Option<T>>>(what: &str, mut check: impl FnMut() -> F) -> T {
    within(what, async {
        loop {
            if let Some(found) = check().await {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
}

/// Node `name` on `server`, its events kept in `seen`.
async fn watched_node(server: &NatsServer, name: &str, seen: &Seen) -> System {
    System::builder()
        .node(name)
        .cluster(server.url())
        .detection(DETECTION)
        .on_event(seen.sink())
        .connect()
        .await
        .unwrap_or_else(|error| panic!("node `{name}` did not join: {error}"))
}

/// The ids of a `traceparent`, as the span fields write them.
fn ids(traceparent: &str) -> (String, String) {
    let context = TraceContext::from_traceparent(traceparent).expect("a traceparent");
    (
        format!("{:032x}", context.trace_id()),
        format!("{:016x}", context.span_id()),
    )
}

/// `span`'s trace and span ids are `traceparent`'s.
fn is_span_of(span: &Kept, traceparent: &str) {
    let (trace_id, span_id) = ids(traceparent);
    assert_eq!(span.field("trace_id"), Some(trace_id.as_str()), "{span:?}");
    assert_eq!(span.field("span_id"), Some(span_id.as_str()), "{span:?}");
}

#[tokio::test(flavor = "current_thread")]
async fn a_traced_ask_across_nodes_continues_its_callers_trace() {
    let Some(server) = server() else { return };
    let (sink, _guard) = Sink::install();
    let (a, b) = (node(&server, "a").await, node(&server, "b").await);
    let ledger = a.spawn(Ledger::default);
    a.register("ledger", &ledger).await.unwrap();
    let remote: LedgerRef = b.lookup("ledger").await.unwrap();
    let front = b.spawn(move || Front { ledger: remote.clone() });

    let edge = TraceContext::start();
    let (front_here, ledger_here) = within("the forward", edge.in_scope(front.forward())).await.unwrap();
    let (front_here, ledger_here) = (front_here.unwrap(), ledger_here.unwrap());
    let (_, front_span) = sink.one("Front", "forward");
    let (_, ledger_span) = sink.one("Ledger", "ask");
    is_span_of(&front_span, &front_here);
    is_span_of(&ledger_span, &ledger_here);
    let edge_trace = format!("{:032x}", edge.trace_id());
    assert_eq!(front_span.field("trace_id"), Some(edge_trace.as_str()));
    assert_eq!(
        ledger_span.field("trace_id"),
        Some(edge_trace.as_str()),
        "one trace across nodes"
    );
    assert_eq!(
        ledger_span.field("parent_span_id"),
        front_span.field("span_id"),
        "the serving side names its caller's span"
    );
    assert_eq!(
        ledger_span.parent, None,
        "the caller's span is on the other node: known by ids only"
    );

    // The ledger restarts; the next call from the trace is still in it.
    phyx::hide_caught_panics();
    let crashed = edge.in_scope(async { ledger_ask_after_crash(&b).await }).await;
    let (_, after) = sink.handled("Ledger", "ask").pop().unwrap();
    assert_eq!(after.field("trace_id"), Some(edge_trace.as_str()));
    assert_eq!(
        after.field("parent_span_id"),
        Some(format!("{:016x}", edge.span_id()).as_str())
    );
    is_span_of(&after, &crashed);
    for node in [b, a] {
        node.shutdown().await;
    }
}

/// From node `b`: crashes the ledger, then asks it; the context it saw.
async fn ledger_ask_after_crash(b: &System) -> String {
    let remote: LedgerRef = b.lookup("ledger").await.unwrap();
    assert!(within("the crash", remote.crash()).await.is_err());
    within("the ask after the restart", remote.ask())
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test(flavor = "current_thread")]
async fn a_traced_tell_across_nodes_carries_a_w3c_traceparent() {
    let Some(server) = server() else { return };
    let (sink, _guard) = Sink::install();
    let seen = Seen::default();
    let (a, b) = (watched_node(&server, "a", &seen).await, node(&server, "b").await);
    let ledger = a.spawn(Ledger::default);
    a.register("ledger", &ledger).await.unwrap();
    let remote: LedgerRef = b.lookup("ledger").await.unwrap();
    let front = b.spawn({
        let remote = remote.clone();
        move || Front { ledger: remote.clone() }
    });

    // Through a traced handler on `b`.
    let front_here = within("the forward", TraceContext::start().in_scope(front.forward_tell()))
        .await
        .unwrap()
        .unwrap();
    let told = within("the ledger", ledger.told()).await.unwrap();
    let (_, tell_span) = sink.one("Ledger", "tell");
    is_span_of(&tell_span, told[0].as_deref().unwrap());
    assert_eq!(tell_span.field("trace_id"), Some(ids(&front_here).0.as_str()));
    assert_eq!(tell_span.field("parent_span_id"), Some(ids(&front_here).1.as_str()));

    // On the wire: the header, as the W3C writes it.
    let stranger = within("the stranger's connect", async_nats::connect(server.url()))
        .await
        .unwrap();
    let mut watch = stranger.subscribe("phyx.default.p.*").await.unwrap();
    echo(&stranger).await;
    let edge = TraceContext::start();
    edge.in_scope(async { remote.tell().send() }).await.unwrap();
    let request = within("the watched tell", next(&mut watch)).await.unwrap();
    let header = request.headers.as_ref().and_then(|headers| headers.get("traceparent"));
    assert_eq!(
        header.map(|header| header.as_str().to_owned()),
        Some(edge.traceparent())
    );
    watch.unsubscribe().await.unwrap();

    // A stranger's malformed header: ignored (a new trace), counted, and
    // the tell handled. On an untraced method: not even read.
    let mut bad = async_nats::HeaderMap::new();
    bad.insert("traceparent", "00-not-a-trace-01");
    let subject = request.subject.clone();
    stranger
        .publish_with_headers(subject.clone(), bad.clone(), request.payload.clone())
        .await
        .unwrap();
    let mut plain = request.payload.to_vec();
    // `plain` is method number 2, with no arguments, like `tell`.
    plain[10..12].copy_from_slice(&2u16.to_le_bytes());
    stranger.publish_with_headers(subject, bad, plain.into()).await.unwrap();
    stranger.flush().await.unwrap();
    let told = until("the stranger's tells", || async {
        let told = ledger.told().await.unwrap();
        (told.len() == 4).then_some(told)
    })
    .await;
    let restarted = told[2].as_deref().expect("a traced handler is always in a trace");
    assert_ne!(ids(restarted).0, format!("{:032x}", edge.trace_id()), "a new trace");
    let (_, ignored_span) = sink.handled("Ledger", "tell").pop().unwrap();
    assert_eq!(ignored_span.field("parent_span_id"), None, "the new trace's first span");
    assert_eq!(told[3], None, "the untraced method is in no trace");
    assert_eq!(seen.ignored(), ["tell"], "counted once, for the traced method");
    for node in [b, a] {
        node.shutdown().await;
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_durable_tell_carries_its_trace_through_the_stream() {
    let Some(server) = server() else { return };
    let (sink, _guard) = Sink::install();
    let (a, b) = (node(&server, "a").await, node(&server, "b").await);
    let notes = a.spawn(Notes::default);
    a.register("notes", &notes).await.unwrap();
    let remote: NotesRef = b.lookup("notes").await.unwrap();
    let edge = TraceContext::start();
    within(
        "the durable tells",
        edge.in_scope(async {
            remote.note().send_wait().await?;
            remote.note().send()
        }),
    )
    .await
    .unwrap();
    let noted = until("the durable tells", || async {
        let noted = notes.noted().await.unwrap();
        (noted.len() == 2).then_some(noted)
    })
    .await;
    let spans = sink.handled("Notes", "note");
    assert_eq!(spans.len(), 2);
    for ((_, span), noted) in spans.iter().zip(&noted) {
        is_span_of(span, noted.as_deref().unwrap());
        assert_eq!(
            span.field("trace_id"),
            Some(format!("{:032x}", edge.trace_id()).as_str())
        );
        assert_eq!(
            span.field("parent_span_id"),
            Some(format!("{:016x}", edge.span_id()).as_str())
        );
    }
    for node in [b, a] {
        node.shutdown().await;
    }
}

#[derive(Default)]
struct Notes {
    noted: Vec<Option<String>>,
}

#[process(remote, durable)]
impl Notes {
    /// Keeps its context.
    #[public]
    #[trace]
    fn note(&mut self) {
        self.noted.push(here());
    }

    /// What the notes saw, in order.
    #[public]
    fn noted(&self) -> Vec<Option<String>> {
        self.noted.clone()
    }
}

async fn next(subscriber: &mut async_nats::Subscriber) -> Option<async_nats::Message> {
    poll_fn(|cx| Pin::new(&mut *subscriber).poll_next(cx)).await
}

/// Returns once the server has `client`'s subscriptions: a message
/// echoed back through it says so (async-nats's `flush` only writes).
async fn echo(client: &async_nats::Client) {
    let inbox = client.new_inbox();
    let mut echoed = client.subscribe(inbox.clone()).await.unwrap();
    client.publish(inbox, Vec::new().into()).await.unwrap();
    within("the echo", next(&mut echoed)).await.unwrap();
}
