//! What a traced call carries from its caller to its handler, and the
//! handler's span made from it.
//!
//! ```text
//! caller:  Traced::capture()     = { parent: trace::current(), span: Span::current() }
//!          (as the call is sent or first polled: `call/mod.rs`)
//! handler: traced.open("A", "m") = (parent.child() or a new trace,
//!                                   info_span!(parent: span, "phyx.handle", trace_id, span_id, parent_span_id))
//! ```

use std::fmt;

use crate::trace::{TraceContext, current};

/// The hidden field of a traced method's message: the caller's trace
/// context (`None`: the handler starts a trace) and the caller's
/// `tracing` span, the parent of the handler's (none for a call from
/// another node, whose span stays there: its id is in `parent`).
#[doc(hidden)]
pub struct Traced {
    parent: Option<TraceContext>,
    span: tracing::Span,
}

impl Traced {
    /// Where the caller is now: taken as a traced method's call is sent,
    /// set on a timer or first polled.
    pub(crate) fn capture() -> Self {
        Self {
            parent: current(),
            span: tracing::Span::current(),
        }
    }

    /// A call that came from another node, with the parent its
    /// `traceparent` header named (`None`: no header, or one that did not
    /// read).
    #[cfg(feature = "cluster")]
    pub(crate) fn remote(parent: Option<TraceContext>) -> Self {
        Self {
            parent,
            span: tracing::Span::none(),
        }
    }

    /// The caller's context: what goes on the wire as `traceparent`.
    #[cfg(feature = "cluster")]
    pub(crate) fn parent(&self) -> Option<TraceContext> {
        self.parent
    }

    /// The handler's context (a child of the caller's, or the first span
    /// of a new trace) and its `phyx.handle` span, at INFO: a method
    /// marked `#[trace]` asked to be seen.
    ///
    /// The span is made by the caller's span's subscriber, whichever this
    /// thread's is: a parent's id means nothing to another subscriber
    /// (tracing-subscriber's `Registry` panics on an id it does not know).
    pub(crate) fn open(self, process: &str, method: &'static str) -> (TraceContext, tracing::Span) {
        let context = self.parent.map_or_else(TraceContext::start, |parent| parent.child());
        let parent_span_id = self
            .parent
            .map(|parent| tracing::field::display(SpanId(parent.span_id())));
        let span = |parent: Option<tracing::Id>| {
            tracing::info_span!(
                target: "phyx",
                parent: parent,
                "phyx.handle",
                process,
                method,
                trace_id = %TraceId(context.trace_id()),
                span_id = %SpanId(context.span_id()),
                parent_span_id,
            )
        };
        let caller = self
            .span
            .with_subscriber(|(id, dispatch)| (id.clone(), dispatch.clone()));
        let span = match caller {
            Some((id, dispatch)) => tracing::dispatcher::with_default(&dispatch, || span(Some(id))),
            None => span(None),
        };
        (context, span)
    }
}

impl Default for Traced {
    /// A traced message that came with nothing (a `send_every` tick, a
    /// message from another node without a `traceparent`): its handler
    /// starts a trace.
    fn default() -> Self {
        Self {
            parent: None,
            span: tracing::Span::none(),
        }
    }
}

/// A trace id as the W3C writes it: 32 lowercase hex digits.
struct TraceId(u128);

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

/// A span id as the W3C writes it: 16 lowercase hex digits.
struct SpanId(u64);

impl fmt::Display for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}
