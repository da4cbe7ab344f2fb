//! The one clock every timer in a system reads.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// The source of time for a [`System`](crate::System).
///
/// Every timer in phyx (ask timeouts, [`Call::send_after`](crate::Call::send_after),
/// [`Ctx::sleep`](crate::Ctx::sleep), restart backoff) goes through the
/// system's clock, so a test can swap in a virtual one and drive hours of
/// timers in milliseconds. [`TokioClock`] is the default.
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// The current instant on this clock.
    fn now(&self) -> Instant;

    /// A future that completes once this clock reaches `deadline`.
    fn sleep_until(&self, deadline: Instant) -> Sleep;

    /// A future that completes once `duration` has passed on this clock.
    fn sleep(&self, duration: Duration) -> Sleep {
        self.sleep_until(self.now() + duration)
    }
}

/// A timer returned by a [`Clock`].
///
/// # Cancel safety
///
/// Dropping a `Sleep` cancels the timer.
#[must_use = "a sleep does nothing unless awaited"]
pub struct Sleep {
    inner: Pin<Box<dyn Future<Output = ()> + Send + 'static>>,
}

impl Sleep {
    /// Wraps a future that completes when the timer fires; for [`Clock`]
    /// implementations.
    pub fn new(timer: impl Future<Output = ()> + Send + 'static) -> Self {
        Self { inner: Box::pin(timer) }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.inner.as_mut().poll(cx)
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep").finish_non_exhaustive()
    }
}

/// The real clock, read through tokio's timer.
///
/// Because it reads `tokio::time`, a runtime whose clock is paused
/// (`#[tokio::test(start_paused = true)]`) pauses it too.
#[derive(Debug, Default, Clone, Copy)]
pub struct TokioClock;

impl Clock for TokioClock {
    fn now(&self) -> Instant {
        // The single place where the runtime reads real time; tokio's own
        // clock so that a paused tokio runtime stops it as well.
        tokio::time::Instant::now().into_std()
    }

    fn sleep_until(&self, deadline: Instant) -> Sleep {
        Sleep::new(tokio::time::sleep_until(deadline.into()))
    }
}
