//! Catching panics of the user's code: in a future's polls, in drops,
//! and in the payloads they carry.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

/// Polls `future`, turning a panic in any poll into its message. After a
/// panic the rest of the future is dropped at once, inside the boundary
/// too: what it still holds (arguments, the process's state) may panic
/// again as it drops.
pub(crate) fn catch_panics<F: Future>(future: F) -> CatchPanics<F> {
    CatchPanics { future: Some(future) }
}

pin_project! {
    /// The future of [`catch_panics`]. A struct, not an `async fn`, so that
    /// the future it wraps is stored once, in place: it may be a whole
    /// process instance, part of every idle process's size.
    pub(crate) struct CatchPanics<F> {
        #[pin]
        future: Option<F>,
    }
}

impl<F: Future> Future for CatchPanics<F> {
    type Output = Result<F::Output, Arc<str>>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut future = self.project().future;
        let polled = std::panic::catch_unwind(AssertUnwindSafe(|| match future.as_mut().as_pin_mut() {
            Some(future) => future.poll(cx),
            None => Poll::Pending,
        }));
        match polled {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Err(payload) => {
                let message = panic_message(payload);
                if let Err(again) = std::panic::catch_unwind(AssertUnwindSafe(|| future.set(None))) {
                    discard_payload(again);
                }
                Poll::Ready(Err(message))
            }
        }
    }
}

/// Runs `f`, which drops something of the user's (a message that will not
/// be delivered, say), where a panic in a `Drop` cannot unwind into
/// the runtime. Such a panic has no one left to report to: it is ignored.
pub(crate) fn quietly(f: impl FnOnce()) {
    if let Err(payload) = std::panic::catch_unwind(AssertUnwindSafe(f)) {
        discard_payload(payload);
    }
}

/// The message of a caught panic. The payload is dropped inside a boundary
/// of its own: a payload whose `Drop` panics must not escape either.
pub(crate) fn panic_message(payload: Box<dyn Any + Send>) -> Arc<str> {
    let message: Arc<str> = if let Some(message) = payload.downcast_ref::<String>() {
        message.as_str().into()
    } else if let Some(message) = payload.downcast_ref::<&'static str>() {
        (*message).into()
    } else {
        "panic with a non-string payload".into()
    };
    discard_payload(payload);
    message
}

/// Drops a panic's payload; one whose `Drop` panics in turn is leaked
/// instead, since dropping that one could only panic again.
fn discard_payload(payload: Box<dyn Any + Send>) {
    if let Err(again) = std::panic::catch_unwind(AssertUnwindSafe(move || drop(payload))) {
        std::mem::forget(again);
    }
}
