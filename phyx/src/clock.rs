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

    /// The current instant to within a few milliseconds, for what reads
    /// the clock on every call and needs no finer: a `#[cache]` entry's
    /// freshness. Never behind an instant it returned before; it may be
    /// a few milliseconds off [`now`](Self::now), either way. The default
    /// is `now`, which is what a virtual clock should keep.
    fn now_coarse(&self) -> Instant {
        self.now()
    }

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
        // Where the runtime reads real time (with `coarse` below, for
        // `now_coarse`); tokio's own clock so that a paused tokio runtime
        // stops it as well.
        tokio::time::Instant::now().into_std()
    }

    /// On Linux the kernel's coarse monotonic clock (its last tick, 1 to
    /// 10 ms old), which costs a third of a precise read; elsewhere
    /// [`now`](Clock::now). Unlike `now`, it does not stop with a paused
    /// tokio runtime: a test of cache expiry runs on `phyx-testkit`'s
    /// virtual clock, which keeps both reads on virtual time.
    #[cfg(target_os = "linux")]
    fn now_coarse(&self) -> Instant {
        coarse::now()
    }

    fn sleep_until(&self, deadline: Instant) -> Sleep {
        Sleep::new(tokio::time::sleep_until(deadline.into()))
    }
}

#[cfg(target_os = "linux")]
mod coarse {
    use std::sync::OnceLock;
    use std::time::{Duration, Instant};

    /// The kernel's coarse monotonic clock, as an `Instant`: the instant
    /// of a first precise read, plus how far the coarse clock has moved
    /// since then. (Both clocks are the same monotonic time; the coarse
    /// one only lags, by less than a tick.)
    pub(super) fn now() -> Instant {
        static ANCHOR: OnceLock<(Instant, u64)> = OnceLock::new();
        let (instant, coarse) = ANCHOR.get_or_init(|| (Instant::now(), nanos()));
        *instant + Duration::from_nanos(nanos().saturating_sub(*coarse))
    }

    /// The coarse clock, in nanoseconds since some fixed point.
    #[allow(unsafe_code)]
    fn nanos() -> u64 {
        let mut time = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: `time` is a valid, writable `timespec`, and
        // CLOCK_MONOTONIC_COARSE exists on every Linux since 2.6.32; it
        // cannot fail then, and a failure would leave the zero time, which
        // `now` saturates into the anchor's instant.
        unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC_COARSE, &mut time) };
        (time.tv_sec as u64)
            .wrapping_mul(1_000_000_000)
            .wrapping_add(time.tv_nsec as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::{Clock, TokioClock};

    #[test]
    fn the_coarse_clock_never_goes_back() {
        let mut last = TokioClock.now_coarse();
        for _ in 0..100_000 {
            let now = TokioClock.now_coarse();
            assert!(now >= last, "the coarse clock went back");
            last = now;
        }
    }
}
