//! Traces across processes: a traced call's handler span is the child of
//! its caller's span (tracing's parent, and the W3C ids), through a chain
//! of processes, for asks and tells, across `.await`s and restarts; a
//! method without `#[trace]` is as it was.
//!
//! In a binary of its own, as `tracing.rs`: each test installs its own
//! subscriber on its thread (the test kit's runtime is current-thread),
//! and tracing caches which callsites are enabled across the binary.

#[path = "trace/sink.rs"]
mod sink;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use phyx::SpawnOptions;
use phyx::prelude::*;
use phyx::trace::{self, TraceContext};
use phyx_testkit::TestSystem;
use tracing::Instrument as _;

use sink::{Kept, Sink};

/// A hop's name, and the context its traced handler saw.
type Sighting = (&'static str, Option<TraceContext>);

/// What each hop's traced handler saw, in order.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<Sighting>>>);

impl Seen {
    fn push(&self, hop: &'static str, context: Option<TraceContext>) {
        self.0.lock().unwrap().push((hop, context));
    }

    fn all(&self) -> Vec<Sighting> {
        self.0.lock().unwrap().clone()
    }
}

/// One hop of a chain: A calls B calls C.
struct Hop {
    name: &'static str,
    next: Option<HopRef>,
    seen: Seen,
}

#[process]
impl Hop {
    /// Asks the next hop's `chain` between two sleeps; every hop's
    /// context, this one's first.
    #[public]
    #[trace]
    async fn chain(&self, ctx: &mut Ctx<Self>) -> Vec<Option<TraceContext>> {
        let before = trace::current();
        ctx.sleep(Duration::from_millis(5)).await;
        let mut chain = vec![trace::current()];
        if let Some(next) = &self.next {
            chain.extend(next.chain().await.expect("the next hop answers"));
        }
        ctx.sleep(Duration::from_millis(5)).await;
        assert_eq!(trace::current(), before, "the context holds across every await");
        assert_eq!(chain[0], before);
        chain
    }

    /// Records its context, then tells the next hop's `relay`.
    #[public]
    #[trace]
    fn relay(&self) {
        self.seen.push(self.name, trace::current());
        if let Some(next) = &self.next {
            next.relay().send().expect("the next hop takes it");
        }
    }

    /// Not traced: its context, which is none.
    #[public]
    fn plain(&self) -> Option<TraceContext> {
        trace::current()
    }

    /// Its context, and what the next hop's untraced `plain` saw.
    #[public]
    #[trace]
    async fn ask_plain(&self) -> (Option<TraceContext>, Option<TraceContext>) {
        let next = self.next.as_ref().expect("a next hop");
        (trace::current(), next.plain().await.expect("the next hop answers"))
    }

    /// Panics.
    #[public]
    #[trace]
    fn crash(&self) {
        panic!("{} crashes", self.name);
    }

    /// Crashes the next hop, then asks its `chain` (its next instance
    /// answers): its context, and the chain.
    #[public]
    #[trace]
    async fn crash_next_then_chain(&self) -> (Option<TraceContext>, Vec<Option<TraceContext>>) {
        let next = self.next.as_ref().expect("a next hop");
        assert!(matches!(next.crash().await, Err(phyx::CallError::Panicked { .. })));
        (trace::current(), next.chain().await.expect("the restarted hop answers"))
    }

    /// What a task spawned by a traced handler sees: none.
    #[public]
    #[trace]
    async fn spawned(&self) -> (Option<TraceContext>, Option<TraceContext>) {
        let spawned = tokio::spawn(async { trace::current() }).await.expect("the task ends");
        (trace::current(), spawned)
    }
}

/// A, B and C on `system`, each calling the next.
fn chain(system: &System, seen: &Seen) -> HopRef {
    let mut next = None;
    for name in ["C", "B", "A"] {
        let (seen, after) = (seen.clone(), next.clone());
        let hop = system.spawn_with(
            move || Hop {
                name,
                next: after.clone(),
                seen: seen.clone(),
            },
            SpawnOptions::new().name(name),
        );
        next = Some(hop);
    }
    next.expect("three hops")
}

fn hex(id: u64) -> String {
    format!("{id:016x}")
}

/// `spans` (places in `all`) are a chain: each one's tracing parent is
/// the one before, its `parent_span_id` the one before's `span_id`, all
/// in one trace; and their ids are the `contexts` the handlers saw.
fn assert_linked(all: &[Kept], spans: &[usize], contexts: &[Option<TraceContext>]) {
    assert_eq!(spans.len(), contexts.len());
    let first = &all[spans[0]];
    for (place, context) in spans.iter().zip(contexts) {
        let (span, context) = (&all[*place], context.expect("a traced handler has a context"));
        assert_eq!(span.field("trace_id"), first.field("trace_id"), "{all:#?}");
        assert_eq!(
            span.field("trace_id"),
            Some(format!("{:032x}", context.trace_id()).as_str())
        );
        assert_eq!(span.field("span_id"), Some(hex(context.span_id()).as_str()));
    }
    for pair in spans.windows(2) {
        let (caller, callee) = (&all[pair[0]], &all[pair[1]]);
        assert_eq!(
            callee.parent,
            Some(pair[0]),
            "tracing's parent is the caller's span: {all:#?}"
        );
        assert_eq!(callee.field("parent_span_id"), caller.field("span_id"), "{all:#?}");
    }
}

#[tokio::test]
async fn a_chain_of_asks_is_one_trace_from_the_callers_span() {
    let (sink, _guard) = Sink::install();
    let t = TestSystem::new();
    let a = chain(t.system(), &Seen::default());
    let request = tracing::info_span!("request");
    let contexts = a.chain().into_future().instrument(request).await.unwrap();

    let spans = sink.spans();
    let (root, _) = spans
        .iter()
        .enumerate()
        .find(|(_, span)| span.name == "request")
        .unwrap();
    let (a_span, a_kept) = sink.one("A", "chain");
    let (b_span, _) = sink.one("B", "chain");
    let (c_span, _) = sink.one("C", "chain");
    assert_eq!(a_kept.parent, Some(root), "A's handler is a child of the caller's span");
    assert_eq!(
        a_kept.field("parent_span_id"),
        None,
        "the caller was in no trace: A starts it"
    );
    assert_linked(&spans, &[a_span, b_span, c_span], &contexts);
    assert_eq!(trace::current(), None, "outside any traced handler");
}

#[tokio::test]
async fn a_chain_of_tells_is_one_trace_from_the_callers_span() {
    let (sink, _guard) = Sink::install();
    let t = TestSystem::new();
    let seen = Seen::default();
    let a = chain(t.system(), &seen);
    let request = tracing::info_span!("request");
    request.in_scope(|| a.relay().send()).unwrap();
    t.settle().await;

    let seen = seen.all();
    assert_eq!(seen.iter().map(|(hop, _)| *hop).collect::<Vec<_>>(), ["A", "B", "C"]);
    let contexts: Vec<_> = seen.iter().map(|(_, context)| *context).collect();
    let spans = sink.spans();
    let places = ["A", "B", "C"].map(|hop| sink.one(hop, "relay").0);
    assert_eq!(spans[places[0]].name, "phyx.handle");
    assert_eq!(spans[spans[places[0]].parent.unwrap()].name, "request");
    assert_linked(&spans, &places, &contexts);
}

#[tokio::test]
async fn concurrent_traces_keep_their_own_contexts_across_awaits() {
    let (sink, _guard) = Sink::install();
    let t = TestSystem::new();
    let (x, y) = (chain(t.system(), &Seen::default()), chain(t.system(), &Seen::default()));
    // Both chains sleep in every hop, so their handlers' polls interleave
    // on this one thread; each asserts its context after every await.
    let (left, right) = tokio::join!(x.chain(), y.chain());
    let (left, right) = (left.unwrap(), right.unwrap());
    let trace_of = |chain: &[Option<TraceContext>]| {
        let ids: Vec<u128> = chain.iter().map(|context| context.unwrap().trace_id()).collect();
        assert!(
            ids.windows(2).all(|pair| pair[0] == pair[1]),
            "one trace per chain: {chain:?}"
        );
        ids[0]
    };
    assert_ne!(trace_of(&left), trace_of(&right), "two calls from no trace: two traces");
    assert_eq!(sink.handled("A", "chain").len(), 2);
    assert!(
        sink.handled("A", "chain")
            .iter()
            .all(|(_, span)| span.parent.is_none() && span.field("parent_span_id").is_none()),
        "called from no span and no trace: roots"
    );
}

#[tokio::test]
async fn an_untraced_method_has_no_trace_fields_and_no_callers_parent() {
    let (sink, _guard) = Sink::install();
    let t = TestSystem::new();
    let a = chain(t.system(), &Seen::default());
    let request = tracing::info_span!("request");
    let (traced, untraced) = request.in_scope(|| a.ask_plain().into_future()).await.unwrap();
    assert!(traced.is_some());
    assert_eq!(
        untraced, None,
        "an untraced handler called from a traced one is in no trace"
    );
    let direct = request.in_scope(|| a.plain().into_future()).await.unwrap();
    assert_eq!(direct, None);

    for process in ["A", "B"] {
        let (_, plain) = sink.one(process, "plain");
        assert_eq!(plain.parent, None, "not a child of its caller's span: {plain:?}");
        for field in ["trace_id", "span_id", "parent_span_id"] {
            assert_eq!(plain.field(field), None, "{plain:?}");
        }
    }
}

#[tokio::test]
async fn an_edge_continues_the_trace_of_an_incoming_traceparent() {
    let (sink, _guard) = Sink::install();
    let t = TestSystem::new();
    let a = chain(t.system(), &Seen::default());
    let incoming = TraceContext::from_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").unwrap();
    let contexts = incoming.in_scope(a.chain()).await.unwrap();
    assert!(
        contexts
            .iter()
            .all(|context| context.unwrap().trace_id() == incoming.trace_id())
    );
    let (_, a_span) = sink.one("A", "chain");
    assert_eq!(a_span.field("trace_id"), Some("4bf92f3577b34da6a3ce929d0e0e4736"));
    assert_eq!(a_span.field("parent_span_id"), Some("00f067aa0ba902b7"));
    assert_eq!(a_span.parent, None, "the incoming parent is known by its ids only");
    let spans = sink.spans();
    assert_linked(&spans, &["A", "B", "C"].map(|hop| sink.one(hop, "chain").0), &contexts);
}

#[tokio::test]
async fn a_restart_between_calls_does_not_break_the_chain() {
    phyx::hide_caught_panics();
    let (sink, _guard) = Sink::install();
    let t = TestSystem::new();
    let a = chain(t.system(), &Seen::default());
    let edge = TraceContext::start();
    let (a_context, chain) = edge
        .in_scope(async {
            // A itself crashes and restarts between two calls of the trace.
            assert!(a.crash().await.is_err());
            a.crash_next_then_chain().await
        })
        .await
        .unwrap();
    let spans = sink.spans();
    let (crashed, _) = sink.one("A", "crash");
    let (a_span, _) = sink.one("A", "crash_next_then_chain");
    for place in [crashed, a_span] {
        assert_eq!(
            spans[place].field("trace_id"),
            Some(format!("{:032x}", edge.trace_id()).as_str())
        );
        assert_eq!(spans[place].field("parent_span_id"), Some(hex(edge.span_id()).as_str()));
    }
    // B crashed inside A's handler, then its next instance handled the
    // chain: both B spans are A's children, and C is B's.
    let (b_crash, _) = sink.one("B", "crash");
    assert_linked(&spans, &[a_span, b_crash], &[a_context, spans_context(&spans[b_crash])]);
    let (b_chain, _) = sink.one("B", "chain");
    let (c_chain, _) = sink.one("C", "chain");
    let mut contexts = vec![a_context];
    contexts.extend(chain);
    assert_linked(&spans, &[a_span, b_chain, c_chain], &contexts);
}

/// The context a kept span's fields say.
fn spans_context(span: &Kept) -> Option<TraceContext> {
    let id = |field: &str| span.field(field).map(str::to_owned);
    TraceContext::from_traceparent(&format!("00-{}-{}-01", id("trace_id")?, id("span_id")?))
}

#[tokio::test]
async fn a_timer_carries_the_trace_it_was_set_in() {
    let (sink, _guard) = Sink::install();
    let t = TestSystem::new();
    let seen = Seen::default();
    let a = chain(t.system(), &seen);
    let edge = TraceContext::start();
    edge.in_scope(async { a.relay().send_after(Duration::from_secs(1)) })
        .await
        .unwrap();
    t.advance(Duration::from_secs(1)).await;
    t.settle().await;
    let (_, fired) = sink.one("A", "relay");
    assert_eq!(
        fired.field("trace_id"),
        Some(format!("{:032x}", edge.trace_id()).as_str())
    );
    assert_eq!(fired.field("parent_span_id"), Some(hex(edge.span_id()).as_str()));
    assert!(
        seen.all()
            .iter()
            .all(|(_, context)| context.unwrap().trace_id() == edge.trace_id())
    );
}

#[tokio::test]
async fn a_task_spawned_by_a_handler_is_outside_its_trace() {
    let t = TestSystem::new();
    let a = chain(t.system(), &Seen::default());
    let (handler, task) = a.spawned().await.unwrap();
    assert!(handler.is_some());
    assert_eq!(task, None);
}

#[tokio::test]
async fn contexts_pass_on_without_any_subscriber() {
    // No subscriber on this thread: no spans, the same ids.
    let t = TestSystem::new();
    let a = chain(t.system(), &Seen::default());
    let edge = TraceContext::start();
    let contexts = edge.in_scope(a.chain()).await.unwrap();
    let contexts: Vec<TraceContext> = contexts.into_iter().map(Option::unwrap).collect();
    assert!(contexts.iter().all(|context| context.trace_id() == edge.trace_id()));
    let spans: Vec<u64> = contexts.iter().map(TraceContext::span_id).collect();
    assert!(!spans.contains(&edge.span_id()));
    assert_eq!(
        spans.iter().collect::<std::collections::BTreeSet<_>>().len(),
        3,
        "a span id of its own per hop"
    );
}

/// Every public method traced, by `#[process(trace)]`.
struct Everything;

#[process(trace)]
impl Everything {
    #[public]
    fn one(&self) -> Option<TraceContext> {
        trace::current()
    }

    #[public]
    async fn two(&self) -> Option<TraceContext> {
        trace::current()
    }
}

#[tokio::test]
async fn process_trace_traces_every_public_method() {
    let (sink, _guard) = Sink::install();
    let t = TestSystem::new();
    let everything = t.system().spawn(|| Everything);
    assert!(everything.one().await.unwrap().is_some());
    assert!(everything.two().await.unwrap().is_some());
    for method in ["one", "two"] {
        assert!(sink.one("Everything", method).1.field("trace_id").is_some());
    }
}

/// Traced methods that are also idempotent, or reply later: the handler
/// still runs in its caller's trace.
#[derive(Default)]
struct Charges {
    runs: u32,
}

#[process]
impl Charges {
    #[public]
    #[trace]
    #[idempotent(key = order, window = "1m")]
    fn charge(&mut self, order: u64) -> (u32, Option<TraceContext>) {
        let _ = order;
        self.runs += 1;
        (self.runs, trace::current())
    }

    #[public]
    #[trace]
    #[idempotent(key = order, window = "1m")]
    fn charge_later(&mut self, order: u64, reply: Reply<Option<TraceContext>>) {
        let _ = order;
        reply.send(trace::current());
    }
}

#[tokio::test]
async fn an_idempotent_or_reply_later_traced_handler_continues_the_trace() {
    let t = TestSystem::new();
    let charges = t.system().spawn(Charges::default);
    let edge = TraceContext::start();
    let (runs, seen) = edge.in_scope(charges.charge(7)).await.unwrap();
    assert_eq!(runs, 1);
    assert_eq!(seen.map(|context| context.trace_id()), Some(edge.trace_id()));
    let (again, _) = edge.in_scope(charges.charge(7)).await.unwrap();
    assert_eq!(again, 1, "the duplicate got the first reply without running");
    let later = edge.in_scope(charges.charge_later(8)).await.unwrap();
    assert_eq!(later.map(|context| context.trace_id()), Some(edge.trace_id()));
}

/// A synchronous traced handler that panics.
struct Fragile;

#[process]
impl Fragile {
    #[public]
    #[trace]
    fn fail(&self) -> Option<TraceContext> {
        panic!("a traced handler fails")
    }

    #[public]
    #[trace]
    fn context(&self) -> Option<TraceContext> {
        trace::current()
    }
}

#[tokio::test]
async fn a_synchronous_traced_handler_leaves_no_scope_behind_even_when_it_panics() {
    // The process runs on this test's thread (a current-thread runtime):
    // a scope its handler left set would be this thread's current one.
    let t = TestSystem::new();
    let fragile = t.system().spawn(|| Fragile);
    let first = fragile.context().await.unwrap().expect("traced");
    assert_eq!(trace::current(), None, "the handler's scope ended with it");
    assert!(matches!(fragile.fail().await, Err(CallError::Panicked { .. })));
    assert_eq!(trace::current(), None, "the panicking handler's scope ended with it");
    let after = fragile.context().await.unwrap().expect("traced");
    assert_ne!(
        after.trace_id(),
        first.trace_id(),
        "each call from no trace starts its own"
    );
}

#[tokio::test]
async fn a_panicking_synchronous_traced_handler_leaves_its_span() {
    // Its span was entered on this thread (a current-thread runtime): a
    // span left entered would be the current one here, and the parent of
    // every span made after it.
    let (sink, _guard) = Sink::install();
    let t = TestSystem::new();
    let fragile = t.system().spawn(|| Fragile);
    assert!(matches!(fragile.fail().await, Err(CallError::Panicked { .. })));
    assert!(tracing::Span::current().is_none(), "the handler's span was left");
    fragile.context().await.unwrap();
    let (_, failed) = sink.one("Fragile", "fail");
    assert!(failed.field("trace_id").is_some(), "the panicking handler had its span");
}
