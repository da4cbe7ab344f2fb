//! The trace context of the code running on this thread: set around each
//! poll of a traced handler (or of a future put `in_scope`), so that it
//! holds across `.await`s and never leaks into another task's polls.
//!
//! A handler's span id (and, for the first span of a trace, the trace id)
//! is drawn when something first asks for it: its span, when a
//! subscriber wants the span; otherwise [`current`], or a traced call
//! made from the handler. A handler that does neither draws nothing.

use std::cell::Cell;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use crate::trace::TraceContext;

/// The context of the code running now, its ids drawn when first asked
/// for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// Not in a traced handler, nor in a future put in scope.
    Outside,
    /// A traced handler that is the first span of a trace.
    Root,
    /// A traced handler called from this context.
    ChildOf(TraceContext),
    /// Drawn, or given.
    Ready(TraceContext),
}

impl Scope {
    /// The scope of a traced handler called from `parent`: its child, or
    /// a trace's first span.
    #[inline]
    pub(crate) fn handler_of(parent: Option<TraceContext>) -> Self {
        parent.map_or(Self::Root, Self::ChildOf)
    }

    /// The context, drawing its ids if they are not yet.
    pub(crate) fn resolve(&mut self) -> Option<TraceContext> {
        let context = match *self {
            Self::Outside => return None,
            Self::Ready(context) => return Some(context),
            Self::Root => TraceContext::start(),
            Self::ChildOf(parent) => parent.child(),
        };
        *self = Self::Ready(context);
        Some(context)
    }
}

thread_local! {
    // `Copy` and without a destructor: reading it is a load.
    static CURRENT: Cell<Scope> = const { Cell::new(Scope::Outside) };
}

/// The trace context of the traced handler running now (or of the
/// future put [`in_scope`](TraceContext::in_scope) that is being polled);
/// `None` anywhere else.
///
/// A traced call made while it is `Some` continues its trace: the
/// handler it reaches is its child. Tasks spawned from a handler with
/// `tokio::spawn` are polled on their own and see `None`; put their
/// future `in_scope` of `current()` to keep them in the trace.
///
/// # Examples
///
/// ```
/// use phyx::prelude::*;
/// use phyx::trace::{self, TraceContext};
///
/// struct Orders;
///
/// #[process]
/// impl Orders {
///     #[public]
///     #[trace]
///     fn place(&self) -> Option<TraceContext> {
///         trace::current()
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), phyx::CallError> {
/// let system = System::new();
/// let orders = system.spawn(|| Orders);
/// assert_eq!(trace::current(), None, "outside a traced handler");
/// let inside = orders.place().await?.expect("the handler is traced");
///
/// // Under a context from an incoming request, the handler joins its trace.
/// let edge = TraceContext::start();
/// let joined = edge.in_scope(orders.place()).await?.unwrap();
/// assert_eq!(joined.trace_id(), edge.trace_id());
/// assert_ne!(joined.trace_id(), inside.trace_id());
/// # system.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[inline]
pub fn current() -> Option<TraceContext> {
    CURRENT
        .try_with(|current| match current.get() {
            Scope::Outside => None,
            Scope::Ready(context) => Some(context),
            mut pending => {
                let context = pending.resolve();
                current.set(pending);
                context
            }
        })
        .ok()
        .flatten()
}

impl TraceContext {
    /// Runs `future` (any future, or a [`Call`](crate::Call) to ask) in
    /// this context: while it is polled,
    /// [`current`] is this context, so the traced calls it makes (asks
    /// awaited in it, tells sent from it) are children of this span.
    ///
    /// The way in for an edge that received a W3C `traceparent` (an HTTP
    /// server, a queue consumer): read it with
    /// [`from_traceparent`](Self::from_traceparent) and run the request's
    /// handling in its scope. A header that did not read is no context:
    /// run the handling as it is, and the first traced handler starts a
    /// trace.
    pub fn in_scope<F: IntoFuture>(self, future: F) -> InScope<F::IntoFuture> {
        InScope::new(Scope::Ready(self), future.into_future())
    }
}

pin_project! {
    /// A future run in a trace context; see [`TraceContext::in_scope`].
    #[must_use = "futures do nothing unless polled"]
    #[derive(Debug)]
    pub struct InScope<F> {
        scope: Scope,
        #[pin]
        future: F,
    }
}

impl<F> InScope<F> {
    /// `future` in `scope`: a traced handler's, its ids perhaps not drawn
    /// yet.
    pub(crate) fn new(scope: Scope, future: F) -> Self {
        Self { scope, future }
    }
}

impl<F: Future> Future for InScope<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _restore = Restore::enter(this.scope);
        this.future.poll(cx)
    }
}

/// Whether the code running now is outside any trace scope.
#[inline]
pub(crate) fn outside() -> bool {
    CURRENT
        .try_with(|current| matches!(current.get(), Scope::Outside))
        .unwrap_or(true)
}

/// Makes `scope` the current one, returning the one it replaces (which
/// the caller puts back).
#[inline]
pub(crate) fn swap(scope: Scope) -> Scope {
    CURRENT
        .try_with(|current| current.replace(scope))
        .unwrap_or(Scope::Outside)
}

/// The scope of an [`InScope`] made the current one for a poll; once the
/// poll is over (also when it panics), the ids drawn meanwhile are kept in
/// the future's scope and the one before is current again.
struct Restore<'a> {
    scope: &'a mut Scope,
    previous: Scope,
}

impl<'a> Restore<'a> {
    #[inline]
    fn enter(scope: &'a mut Scope) -> Self {
        let previous = swap(*scope);
        Self { scope, previous }
    }
}

impl Drop for Restore<'_> {
    #[inline]
    fn drop(&mut self) {
        if let Ok(now) = CURRENT.try_with(|current| current.replace(self.previous)) {
            *self.scope = now;
        }
    }
}
