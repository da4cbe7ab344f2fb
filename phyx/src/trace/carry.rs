//! What a traced call carries from its caller to its handler, and the
//! handler's scope and span made from it.
//!
//! ```text
//! caller:    Traced::capture() = None, or a box of { parent: trace::current(), span: the caller's Span, if INFO is listened to }
//!            (as the call is sent, set on a timer or first polled: `call/mod.rs`)
//! generated, a synchronous handler (it ends in the poll that starts it):
//!            let guard = enter_trace(__phyx_trace, || ctx.name(), "m");  // scope set, span entered, until the arm ends
//!            handle_and_reply(..).await
//! generated, an async handler:
//!            let opened = open_trace(__phyx_trace, ctx.name(), "m");    // a child of parent, or a trace's first span
//!            traced(opened, handle_and_reply(..)).await                  // the scope around each poll, the span if wanted
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use crate::trace::scope::{self, Scope};
use crate::trace::{InScope, TraceContext, current};

/// The hidden field of a traced method's message is an
/// `Option<Traced>`: `None` when the caller was in no trace and no
/// subscriber wants spans (the common case with tracing off, which
/// allocates nothing), else the caller's trace context and `tracing`
/// span, the parent of the handler's (no span for a call from another
/// node, whose span stays there: its id is in the context). Boxed, so
/// that the slot, which every message of a process with a traced method
/// has room for, is one pointer.
#[doc(hidden)]
pub struct Traced(Box<Carried>);

struct Carried {
    parent: Option<TraceContext>,
    span: Option<tracing::Span>,
}

impl Traced {
    /// Where the caller is now: taken as a traced method's call is sent,
    /// set on a timer or first polled.
    #[inline]
    pub(crate) fn capture() -> Option<Self> {
        // The common case with tracing off, without copying the scope.
        if scope::outside() && !tracing::level_enabled!(tracing::Level::INFO) {
            return None;
        }
        Self::capture_some()
    }

    #[inline(never)]
    fn capture_some() -> Option<Self> {
        let parent = current();
        // The handler's span is at INFO: with nothing listening at INFO
        // (no subscriber at all, say), it will not be made, and its
        // parent is not worth looking up.
        let span = if tracing::level_enabled!(tracing::Level::INFO) {
            caller_span()
        } else {
            None
        };
        if parent.is_none() && span.is_none() {
            return None;
        }
        Some(Self(Box::new(Carried { parent, span })))
    }

    /// A call that came from another node, with the parent its
    /// `traceparent` header named (`None`: no header, or one that did not
    /// read, and the handler starts a trace).
    #[cfg(feature = "cluster")]
    pub(crate) fn remote(parent: Option<TraceContext>) -> Option<Self> {
        parent.map(|parent| {
            Self(Box::new(Carried {
                parent: Some(parent),
                span: None,
            }))
        })
    }

    /// The caller's context: what goes on the wire as `traceparent`.
    #[cfg(feature = "cluster")]
    pub(crate) fn parent(&self) -> Option<TraceContext> {
        self.0.parent
    }
}

/// The handler's span for a subscriber that may want it: a child of the
/// caller's span and of its context (or the first span of a new trace).
///
/// The span is made by the caller's span's subscriber, whichever this
/// thread's is: a parent's id means nothing to another subscriber
/// (tracing-subscriber's `Registry` panics on an id it does not know).
#[inline(never)]
fn open_span(
    parent: Option<TraceContext>,
    caller: Option<&tracing::Span>,
    scope: &mut Scope,
    process: &str,
    method: &'static str,
) -> tracing::Span {
    let Some(context) = scope.resolve() else {
        return tracing::Span::none();
    };
    let parent_span_id = parent.map(|parent| tracing::field::display(SpanId(parent.span_id())));
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
    // The caller's span stays open until its child is made (a closed
    // parent's id is gone from its registry).
    let caller = caller.and_then(|span| span.with_subscriber(|(id, dispatch)| (id.clone(), dispatch.clone())));
    match caller {
        Some((id, dispatch)) => tracing::dispatcher::with_default(&dispatch, || span(Some(id))),
        None => span(None),
    }
}

/// The caller's span; `None` outside any span.
#[inline(never)]
fn caller_span() -> Option<tracing::Span> {
    let span = tracing::Span::current();
    (!span.is_none()).then_some(span)
}

/// A traced handler's scope and span, opened before its future is made
/// (which borrows the context the process's name is read from).
#[doc(hidden)]
pub struct Opened {
    scope: Scope,
    span: tracing::Span,
}

/// Opens the scope and span of a handler of `process`'s traced `method`,
/// from what its message carried (`None`: the caller was in no trace, or
/// it was a `send_every` tick: a new trace). With nothing listening at
/// INFO there is no span, and the scope's ids are drawn only if the
/// handler asks for them.
#[doc(hidden)]
#[inline]
pub fn open_trace(traced: Option<Traced>, process: &str, method: &'static str) -> Opened {
    let (parent, caller) = match traced {
        None => (None, None),
        Some(Traced(carried)) => {
            let Carried { parent, span } = *carried;
            (parent, span)
        }
    };
    let mut scope = Scope::handler_of(parent);
    let span = if tracing::level_enabled!(tracing::Level::INFO) {
        open_span(parent, caller.as_ref(), &mut scope, process, method)
    } else {
        tracing::Span::none()
    };
    Opened { scope, span }
}

/// Runs a traced handler in the scope and span `opened`: the scope
/// current around each poll, the span entered if anyone wanted it. The
/// generated `__handle` wraps only traced methods' handlers, so a process
/// without any has none of this in its futures.
#[doc(hidden)]
#[inline]
pub fn traced<F: Future>(opened: Opened, handler: F) -> TracedHandler<F> {
    TracedHandler {
        handler: InScope::new(opened.scope, handler),
        span: opened.span,
    }
}

/// Runs a synchronous traced handler, which ends within the poll it
/// starts in, in its scope and span until the returned guard drops (also
/// when the handler panics): nothing is done per poll, as [`traced`]'s
/// wrapper does for an async handler. `method` as for [`open_trace`];
/// `process` gives the process's name, read only for a span.
#[doc(hidden)]
#[inline]
pub fn enter_trace<'a>(traced: Option<Traced>, process: impl FnOnce() -> &'a str, method: &'static str) -> InTrace {
    // The common case with tracing off: a new trace, no span.
    if traced.is_none() && !tracing::level_enabled!(tracing::Level::INFO) {
        return InTrace {
            previous: scope::swap(Scope::Root),
            spanned: false,
        };
    }
    enter_spanned(traced, process(), method)
}

#[inline(never)]
fn enter_spanned(traced: Option<Traced>, process: &str, method: &'static str) -> InTrace {
    // A call from inside a trace, with nobody listening: its context only.
    if !tracing::level_enabled!(tracing::Level::INFO) {
        let parent = traced.and_then(|Traced(carried)| carried.parent);
        return InTrace {
            previous: scope::swap(Scope::handler_of(parent)),
            spanned: false,
        };
    }
    let Opened { scope, span } = open_trace(traced, process, method);
    let spanned = !span.is_disabled();
    if spanned {
        ENTERED.with_borrow_mut(|entered| entered.push(span.entered()));
    }
    InTrace {
        previous: scope::swap(scope),
        spanned,
    }
}

thread_local! {
    // The spans of the synchronous traced handlers running on this
    // thread, entered: a guard's span is the last one, since such a
    // handler starts and ends within one poll. Kept here rather than in
    // the guard, so that the guard has nothing to drop with nobody
    // listening.
    static ENTERED: std::cell::RefCell<Vec<tracing::span::EnteredSpan>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// See [`enter_trace`]: when it drops, leaves and closes its span, then
/// puts the scope before back.
#[doc(hidden)]
pub struct InTrace {
    previous: Scope,
    spanned: bool,
}

impl Drop for InTrace {
    #[inline]
    fn drop(&mut self) {
        if self.spanned {
            close_entered();
        }
        scope::swap(self.previous);
    }
}

#[cold]
fn close_entered() {
    let _ = ENTERED.try_with(|entered| entered.borrow_mut().pop());
}

pin_project! {
    /// A traced handler's future; see [`traced`]. (Not `tracing`'s
    /// `Instrumented`: that enters its span at every poll and drop even
    /// when it is disabled, which costs a traced tell a tenth of a plain
    /// one with nobody listening.)
    #[doc(hidden)]
    pub struct TracedHandler<F> {
        #[pin]
        handler: InScope<F>,
        span: tracing::Span,
    }
}

impl<F: Future> Future for TracedHandler<F> {
    type Output = F::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        if this.span.is_disabled() {
            return this.handler.poll(cx);
        }
        let _entered = this.span.enter();
        this.handler.poll(cx)
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
