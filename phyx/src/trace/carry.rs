//! What a traced call carries from its caller to its handler, and the
//! handler's scope and span made from it.
//!
//! ```text
//! caller:    Traced::capture() = { parent: trace::current(), span: the caller's Span, if INFO is listened to }
//!            (as the call is sent, set on a timer or first polled: `call/mod.rs`)
//! generated: let opened = open_trace(__phyx_trace, ctx.name(), "m");   // a child of parent, or a trace's first span
//!            traced(opened, handle_and_reply(..)).await                 // InScope + the INFO `phyx.handle` span
//! ```

use std::fmt;
use std::future::Future;

use tracing::Instrument as _;
use tracing::instrument::Instrumented;

use crate::trace::scope::Scope;
use crate::trace::{InScope, TraceContext, current};

/// The hidden field of a traced method's message: the caller's trace
/// context (`None`: the handler starts a trace) and the caller's
/// `tracing` span, the parent of the handler's (none for a call from
/// another node, whose span stays there: its id is in `parent`).
#[doc(hidden)]
pub struct Traced {
    parent: Option<TraceContext>,
    // Boxed, and there only when a subscriber wants INFO spans: every
    // message of a process with traced methods has room for a `Traced`,
    // and a bare `Span` would make that room 40 bytes larger.
    span: Option<Box<tracing::Span>>,
}

impl Traced {
    /// Where the caller is now: taken as a traced method's call is sent,
    /// set on a timer or first polled.
    #[inline]
    pub(crate) fn capture() -> Self {
        Self {
            parent: current(),
            // The handler's span is at INFO: with nothing listening at
            // INFO (no subscriber at all, say), it will not be made, and
            // its parent is not worth looking up.
            span: if tracing::level_enabled!(tracing::Level::INFO) {
                caller_span()
            } else {
                None
            },
        }
    }

    /// A call that came from another node, with the parent its
    /// `traceparent` header named (`None`: no header, or one that did not
    /// read).
    #[cfg(feature = "cluster")]
    pub(crate) fn remote(parent: Option<TraceContext>) -> Self {
        Self { parent, span: None }
    }

    /// The caller's context: what goes on the wire as `traceparent`.
    #[cfg(feature = "cluster")]
    pub(crate) fn parent(&self) -> Option<TraceContext> {
        self.parent
    }

    /// The handler's scope (a child of the caller's context, or the
    /// first span of a new trace) and its `phyx.handle` span, at INFO: a
    /// method marked `#[trace]` asked to be seen. With nothing listening
    /// at INFO there is no span, and the scope's ids are drawn only if the
    /// handler asks for them.
    ///
    /// The span is made by the caller's span's subscriber, whichever this
    /// thread's is: a parent's id means nothing to another subscriber
    /// (tracing-subscriber's `Registry` panics on an id it does not know).
    #[inline]
    pub(crate) fn open(self, process: &str, method: &'static str) -> (Scope, tracing::Span) {
        let scope = self.parent.map_or(Scope::Root, Scope::ChildOf);
        if !tracing::level_enabled!(tracing::Level::INFO) {
            return (scope, tracing::Span::none());
        }
        self.open_span(scope, process, method)
    }

    /// [`open`](Self::open) for a subscriber that may want the span.
    #[inline(never)]
    fn open_span(self, mut scope: Scope, process: &str, method: &'static str) -> (Scope, tracing::Span) {
        let Some(context) = scope.resolve() else {
            return (scope, tracing::Span::none());
        };
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
        // Borrowed, not taken: the caller's span must stay open until its
        // child is made (a closed parent's id is gone from its registry).
        let caller = self
            .span
            .as_deref()
            .and_then(|span| span.with_subscriber(|(id, dispatch)| (id.clone(), dispatch.clone())));
        let span = match caller {
            Some((id, dispatch)) => tracing::dispatcher::with_default(&dispatch, || span(Some(id))),
            None => span(None),
        };
        (scope, span)
    }
}

/// The caller's span, boxed; `None` outside any span.
#[inline(never)]
fn caller_span() -> Option<Box<tracing::Span>> {
    let span = tracing::Span::current();
    (!span.is_none()).then(|| Box::new(span))
}

/// A traced handler's scope and span, opened before its future is made
/// (which borrows the context the process's name is read from).
#[doc(hidden)]
pub struct Opened {
    scope: Scope,
    span: tracing::Span,
}

/// Opens the scope and span of a handler of `process`'s traced `method`,
/// from what its message carried (`None`: nothing, as a `send_every`
/// tick's: a new trace).
#[doc(hidden)]
#[inline]
pub fn open_trace(traced: Option<Traced>, process: &str, method: &'static str) -> Opened {
    let (scope, span) = traced.unwrap_or_default().open(process, method);
    Opened { scope, span }
}

/// Runs a traced handler in the scope and span `opened`: the scope
/// current around each poll, the span entered (a no-op when no one wants
/// it). The generated `__handle` wraps only traced methods' handlers, so
/// a process without any has none of this in its futures.
#[doc(hidden)]
#[inline]
pub fn traced<F: Future>(opened: Opened, handler: F) -> Instrumented<InScope<F>> {
    InScope::new(opened.scope, handler).instrument(opened.span)
}

impl Default for Traced {
    /// A traced message that came with nothing (a `send_every` tick, a
    /// message from another node without a `traceparent`): its handler
    /// starts a trace.
    fn default() -> Self {
        Self {
            parent: None,
            span: None,
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
