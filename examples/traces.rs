//! Traces across processes: an edge (say, an HTTP server) receives a
//! request with a W3C `traceparent` header and calls `Orders`, which
//! calls `Inventory` and `Billing`. Every handler is traced, so one
//! request's trace shows every process it touched; a small
//! `tracing-subscriber` layer keeps the spans (no OpenTelemetry, no
//! collector) and prints them as a tree with their ids at the end.
//!
//! Run with `cargo run --example traces`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use phyx::prelude::*;
use phyx::trace::TraceContext;
use tracing::Instrument as _;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::layer::{Context, Layer};

/// Stock per item.
pub struct Inventory {
    stock: BTreeMap<String, u32>,
}

#[process(trace)]
impl Inventory {
    /// Takes one `item` out of stock; whether there was one.
    #[public]
    pub fn reserve(&mut self, item: String) -> bool {
        match self.stock.get_mut(&item) {
            Some(count) if *count > 0 => {
                *count -= 1;
                true
            }
            _ => false,
        }
    }
}

/// Charges cards.
#[derive(Default)]
pub struct Billing {
    charged: u64,
}

#[process(trace)]
impl Billing {
    /// Charges `cents`; the total so far.
    #[public]
    pub async fn charge(&mut self, cents: u64) -> u64 {
        self.charged += cents;
        self.charged
    }
}

/// Takes orders: reserves the item, then charges for it.
pub struct Orders {
    inventory: InventoryRef,
    billing: BillingRef,
}

#[process]
impl Orders {
    /// Reserves `item` and charges `cents` for it.
    #[public]
    #[trace]
    pub async fn order(&self, item: String, cents: u64) -> Result<u64, String> {
        // Both calls continue this handler's trace: it is the current one.
        if !self.inventory.reserve(item.clone()).await.map_err(|e| e.to_string())? {
            return Err(format!("{item} is out of stock"));
        }
        self.billing.charge(cents).await.map_err(|e| e.to_string())
    }
}

/// The edge: handles one request whose `traceparent` header (if any) says
/// which trace it belongs to. Its own span is a child of the header's, and
/// everything it calls continues from there; a header that does not read
/// starts a new trace, as the W3C asks.
pub async fn handle_request(orders: &OrdersRef, traceparent: Option<&str>) -> Result<u64, String> {
    let incoming = traceparent.and_then(TraceContext::from_traceparent);
    let edge = incoming.map_or_else(TraceContext::start, |incoming| incoming.child());
    let span = edge_span(&edge, incoming.as_ref());
    edge.in_scope(orders.order("tea".into(), 450))
        .instrument(span)
        .await
        .map_err(|e| e.to_string())?
}

/// The edge's own span, with the ids a sink stitches by.
fn edge_span(edge: &TraceContext, incoming: Option<&TraceContext>) -> tracing::Span {
    tracing::info_span!(
        "http.request",
        trace_id = %format!("{:032x}", edge.trace_id()),
        span_id = %format!("{:016x}", edge.span_id()),
        parent_span_id = incoming.map(|incoming| tracing::field::display(format!("{:016x}", incoming.span_id()))),
    )
}

/// One span as the sink saw it.
#[derive(Debug, Clone)]
pub struct Kept {
    pub name: &'static str,
    pub fields: BTreeMap<&'static str, String>,
}

impl Kept {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

/// A layer that keeps every span with its fields: the smallest exporter.
#[derive(Clone, Default)]
pub struct SpanSink {
    spans: Arc<Mutex<Vec<Kept>>>,
}

struct Fields<'a>(&'a mut BTreeMap<&'static str, String>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name(), format!("{value:?}"));
    }
}

/// Where a span is in the sink's list.
struct Place(usize);

impl<S> Layer<S> for SpanSink
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = BTreeMap::new();
        attrs.record(&mut Fields(&mut fields));
        let mut spans = self.spans.lock().unwrap();
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(Place(spans.len()));
        }
        spans.push(Kept {
            name: attrs.metadata().name(),
            fields,
        });
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let place = ctx
            .span(id)
            .and_then(|span| span.extensions().get::<Place>().map(|place| place.0));
        if let Some(place) = place {
            values.record(&mut Fields(&mut self.spans.lock().unwrap()[place].fields));
        }
    }
}

impl SpanSink {
    /// The traced spans kept (those with a `trace_id`), in the order made.
    pub fn spans(&self) -> Vec<Kept> {
        let spans = self.spans.lock().unwrap();
        spans
            .iter()
            .filter(|span| span.field("trace_id").is_some())
            .cloned()
            .collect()
    }

    /// The spans as trees, stitched by ids alone (`parent_span_id` to
    /// `span_id`), as a collector would stitch spans from many nodes: one
    /// line per span, indented under its parent. A span whose parent is
    /// not here (the caller upstream of the edge) is a root.
    pub fn tree(&self) -> Vec<String> {
        let spans = self.spans();
        let known: Vec<&str> = spans.iter().filter_map(|span| span.field("span_id")).collect();
        let mut lines = Vec::new();
        for root in spans.iter().filter(|span| {
            span.field("parent_span_id")
                .is_none_or(|parent| !known.contains(&parent))
        }) {
            lines.push(format!("trace {}", root.field("trace_id").unwrap_or("?")));
            Self::branch(&spans, root, 1, &mut lines);
        }
        lines
    }

    fn branch(spans: &[Kept], span: &Kept, depth: usize, lines: &mut Vec<String>) {
        let mut line = format!("{}{}", "  ".repeat(depth), label(span));
        let _ = write!(line, "  span {}", span.field("span_id").unwrap_or("?"));
        if let Some(parent) = span.field("parent_span_id") {
            let _ = write!(line, " (parent {parent})");
        }
        lines.push(line);
        for child in spans
            .iter()
            .filter(|child| child.field("parent_span_id") == span.field("span_id"))
        {
            Self::branch(spans, child, depth + 1, lines);
        }
    }
}

/// `Process.method` for a handler, the span's name otherwise.
fn label(span: &Kept) -> String {
    match (span.field("process"), span.field("method")) {
        (Some(process), Some(method)) => format!("{process}.{method}"),
        _ => span.name.to_owned(),
    }
}

/// Spawns the three processes and handles one request from an upstream
/// service whose span is `traceparent`'s; the reply.
pub async fn run(system: &System, traceparent: Option<&str>) -> Result<u64, String> {
    let inventory = system.spawn(|| Inventory {
        stock: [("tea".to_owned(), 3)].into(),
    });
    let billing = system.spawn(Billing::default);
    let orders = system.spawn(move || Orders {
        inventory: inventory.clone(),
        billing: billing.clone(),
    });
    handle_request(&orders, traceparent).await
}

#[tokio::main]
async fn main() {
    use tracing_subscriber::layer::SubscriberExt as _;

    let sink = SpanSink::default();
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(sink.clone()))
        .expect("the only subscriber");
    let system = System::new();
    let upstream = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    println!("request with traceparent {upstream}");
    match run(&system, Some(upstream)).await {
        Ok(total) => println!("ordered: {total} cents charged so far"),
        Err(error) => println!("not ordered: {error}"),
    }
    system.shutdown().await;
    for line in sink.tree() {
        println!("{line}");
    }
}
