//! Streams fed to a process as messages.

use std::future::poll_fn;
use std::pin::pin;

use futures_core::Stream;

use crate::call::{Call, timer};
use crate::error::SendError;
use crate::event::EventKind;
use crate::kernel::ctx::Ctx;
use crate::kernel::process::{Handle, Process};
use crate::panic::catch_panics;

impl<T: Process> Ctx<T> {
    /// Feeds `stream` to this process: each item becomes the call
    /// `to_call` makes of it on this process's handle, told with
    /// [`send_wait`](Call::send_wait), so items arrive in order and a full
    /// mailbox under [`Overflow::Backpressure`](crate::Overflow::Backpressure)
    /// slows the stream down instead of losing items. Returns at once.
    ///
    /// The stream is polled in a task of its own, not in the process. It
    /// ends, and is dropped, when the stream ends, the system shuts down or
    /// this process stops for good (a restart does not end it: its items queue for the next
    /// instance, as any message does). An item whose tell is refused (a
    /// rate limit, an open breaker, a full mailbox under another policy) is
    /// lost and reported as an event, like any refused tell. A panic while
    /// polling the stream or in `to_call` ends it, reported as an
    /// [`EventKind::Panicked`] of this process, which itself is unaffected.
    ///
    /// ```
    /// use phyx::prelude::*;
    /// # use std::pin::Pin;
    /// # use std::task::{Context, Poll};
    /// # struct Ticks(u64);
    /// # impl futures_core::Stream for Ticks {
    /// #     type Item = u64;
    /// #     fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<u64>> {
    /// #         self.0 += 1;
    /// #         Poll::Ready((self.0 <= 3).then_some(self.0))
    /// #     }
    /// # }
    ///
    /// #[derive(Default)]
    /// struct Sum { total: u64 }
    ///
    /// #[process]
    /// impl Sum {
    ///     #[public]
    ///     fn listen(&mut self, ctx: &mut Ctx<Self>) {
    ///         ctx.attach(Ticks(0), |sum, tick| sum.add(tick)); // 1, 2, 3
    ///     }
    ///
    ///     #[public]
    ///     fn add(&mut self, n: u64) { self.total += n; }
    ///
    ///     #[public]
    ///     fn total(&self) -> u64 { self.total }
    /// }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let system = System::new();
    /// # let sum = system.spawn(Sum::default);
    /// # sum.listen().await.unwrap();
    /// # while sum.total().await.unwrap() < 6 { tokio::task::yield_now().await; }
    /// # system.shutdown().await;
    /// # }
    /// ```
    pub fn attach<S, R>(&self, stream: S, to_call: impl Fn(&T::Ref, S::Item) -> Call<R, T::Ref> + Send + 'static)
    where
        S: Stream + Send + 'static,
        R: 'static,
    {
        let myself = self.myself();
        let addr = myself.__addr().clone();
        let feed = async move {
            let mut stream = pin!(stream);
            loop {
                let Some(item) = poll_fn(|cx| stream.as_mut().poll_next(cx)).await else {
                    return;
                };
                // The item goes into the message at once: only the call,
                // whose arguments are `Send`, waits for room.
                let call = to_call(&myself, item);
                if let Err(SendError::Stopped { .. }) = call.send_wait().await {
                    return;
                }
            }
        };
        // A timer's task: it ends with the feed, the process's stop for
        // good or the system's shutdown, whichever comes first.
        let publisher = addr.clone();
        drop(timer::start(&addr, async move {
            if let Err(message) = catch_panics(feed).await {
                publisher.publish(EventKind::Panicked { method: None, message });
            }
        }));
    }
}
