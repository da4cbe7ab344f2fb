//! The trace context of the code running on this thread: set around each
//! poll of a traced handler (or of a future put `in_scope`), so that it
//! holds across `.await`s and never leaks into another task's polls.

use std::cell::Cell;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use crate::trace::TraceContext;

thread_local! {
    // `Copy` and without a destructor: reading it is a load.
    static CURRENT: Cell<Option<TraceContext>> = const { Cell::new(None) };
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
pub fn current() -> Option<TraceContext> {
    CURRENT.try_with(Cell::get).ok().flatten()
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
        InScope {
            context: self,
            future: future.into_future(),
        }
    }
}

pin_project! {
    /// A future run in a trace context; see [`TraceContext::in_scope`].
    #[must_use = "futures do nothing unless polled"]
    #[derive(Debug)]
    pub struct InScope<F> {
        context: TraceContext,
        #[pin]
        future: F,
    }
}

impl<F: Future> Future for InScope<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _restore = enter(*this.context);
        this.future.poll(cx)
    }
}

/// Makes `context` the current one until the guard drops, which puts back
/// the one before (also when the poll panics).
fn enter(context: TraceContext) -> Restore {
    Restore(
        CURRENT
            .try_with(|current| current.replace(Some(context)))
            .ok()
            .flatten(),
    )
}

struct Restore(Option<TraceContext>);

impl Drop for Restore {
    fn drop(&mut self) {
        let _ = CURRENT.try_with(|current| current.set(self.0));
    }
}
