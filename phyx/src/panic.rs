//! Catching panics of the user's code: in a future's polls, in drops,
//! and in the payloads they carry.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;

/// Polls `future`, turning a panic in any poll into its message. After a
/// panic the rest of the future is dropped at once, inside the boundary
/// too: what it still holds (arguments, the process's state) may panic
/// again as it drops.
pub(crate) async fn catch_panics<F: Future>(future: F) -> Result<F::Output, Arc<str>> {
    let mut future = pin!(Some(future));
    std::future::poll_fn(move |cx| {
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
    })
    .await
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
