//! A `tracing-subscriber` layer that keeps every span (its name, its
//! fields, its parent), for the trace tests to assert the parent chain.
//!
//! A span is named by its place in the list, kept in its extensions:
//! tracing's own ids are reused once a span closes.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::DefaultGuard;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;

/// One span as the layer saw it.
#[derive(Debug, Clone)]
pub(crate) struct Kept {
    pub(crate) name: &'static str,
    /// The place of its parent in [`Sink::spans`].
    pub(crate) parent: Option<usize>,
    pub(crate) fields: BTreeMap<&'static str, String>,
}

impl Kept {
    /// A field's value, as recorded (strings without their quotes).
    pub(crate) fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

/// The spans seen, in the order they were made.
#[derive(Clone, Default)]
pub(crate) struct Sink {
    spans: Arc<Mutex<Vec<Kept>>>,
}

/// Where a span is in the list.
struct Place(usize);

struct Fields<'a>(&'a mut BTreeMap<&'static str, String>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.insert(field.name(), format!("{value:?}"));
    }
}

impl<S: tracing::Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Sink {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let span = ctx.span(id).expect("a span being made exists");
        let parent = span
            .parent()
            .and_then(|parent| parent.extensions().get::<Place>().map(|place| place.0));
        let mut fields = BTreeMap::new();
        attrs.record(&mut Fields(&mut fields));
        let mut spans = self.spans.lock().unwrap();
        span.extensions_mut().insert(Place(spans.len()));
        spans.push(Kept {
            name: attrs.metadata().name(),
            parent,
            fields,
        });
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let Some(place) = span.extensions().get::<Place>().map(|place| place.0) else {
            return;
        };
        values.record(&mut Fields(&mut self.spans.lock().unwrap()[place].fields));
    }
}

impl Sink {
    /// A sink, installed as this thread's subscriber until the guard drops.
    pub(crate) fn install() -> (Self, DefaultGuard) {
        let sink = Self::default();
        let guard = tracing::subscriber::set_default(tracing_subscriber::registry().with(sink.clone()));
        (sink, guard)
    }

    /// Every span seen so far.
    pub(crate) fn spans(&self) -> Vec<Kept> {
        self.spans.lock().unwrap().clone()
    }

    /// The handler spans of `method` of process `process`, with their
    /// places, in the order they were made.
    pub(crate) fn handled(&self, process: &str, method: &str) -> Vec<(usize, Kept)> {
        self.spans()
            .into_iter()
            .enumerate()
            .filter(|(_, span)| {
                span.name == "phyx.handle"
                    && span.field("process") == Some(process)
                    && span.field("method") == Some(method)
            })
            .collect()
    }

    /// The one handler span of `method` of `process`.
    pub(crate) fn one(&self, process: &str, method: &str) -> (usize, Kept) {
        let mut handled = self.handled(process, method);
        assert_eq!(
            handled.len(),
            1,
            "one span of `{process}.{method}`: {:#?}",
            self.spans()
        );
        handled.remove(0)
    }
}
