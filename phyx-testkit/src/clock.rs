//! A clock that moves only when told to.
//!
//! Under a [`TestSystem`](crate::TestSystem) it reads tokio's paused clock,
//! which the test kit's driver moves: phyx's timers and tokio's own share
//! one time line. On its own ([`VirtualClock::new`], [`Isolated`](crate::Isolated))
//! it keeps its own time.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use phyx::{Clock, Sleep};
use tokio::sync::Notify;

/// Virtual time for a [`System`](phyx::System): `now()` stands still until
/// [`TestSystem::advance`](crate::TestSystem::advance) moves it, and timers
/// fire in deadline order (ties in the order they were set), each at its
/// exact instant, to the nanosecond.
///
/// The clock of a [`TestSystem`](crate::TestSystem) reads tokio's paused
/// clock: `now()` and `tokio::time::Instant::now()` are the same instant,
/// always. Cheap to clone; clones share one time line.
#[derive(Clone)]
pub struct VirtualClock {
    inner: Arc<Inner>,
}

struct Inner {
    origin: Instant,
    /// Sleeps complete at once, moving time to their deadline (`Own` only).
    auto_advance: bool,
    source: Source,
    state: Mutex<State>,
    timer_set: Notify,
}

/// Where `now()` comes from.
enum Source {
    /// `State::now`, moved by `set_now` and auto-advancing sleeps.
    Own,
    /// tokio's paused clock of this runtime, which the test kit's driver
    /// moves; `State::now` is unused.
    Tokio(tokio::runtime::Handle),
}

struct State {
    /// Now, for `Source::Own`.
    now: Instant,
    timers: BinaryHeap<Reverse<Entry>>,
    next_seq: u64,
}

struct Entry {
    deadline: Instant,
    seq: u64,
    timer: Weak<Timer>,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        (self.deadline, self.seq) == (other.deadline, other.seq)
    }
}

impl Eq for Entry {}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.deadline, self.seq).cmp(&(other.deadline, other.seq))
    }
}

#[derive(Default)]
struct Timer {
    fired: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl VirtualClock {
    /// A clock at its origin, with no timers.
    pub fn new() -> Self {
        Self::with_auto_advance(false)
    }

    /// A clock on which every sleep completes at once, moving time to its
    /// deadline, for running handlers in isolation.
    pub(crate) fn auto_advancing() -> Self {
        Self::with_auto_advance(true)
    }

    fn with_auto_advance(auto_advance: bool) -> Self {
        // Only a base to count from: every reading is origin + virtual time.
        Self::with_source(Instant::now(), auto_advance, Source::Own)
    }

    /// A clock that reads tokio's paused clock of `runtime`, starting at
    /// `origin` (tokio's now); only tokio's clock moving moves it.
    pub(crate) fn on_tokio(runtime: tokio::runtime::Handle, origin: Instant) -> Self {
        Self::with_source(origin, false, Source::Tokio(runtime))
    }

    fn with_source(origin: Instant, auto_advance: bool, source: Source) -> Self {
        Self {
            inner: Arc::new(Inner {
                origin,
                auto_advance,
                source,
                state: Mutex::new(State {
                    now: origin,
                    timers: BinaryHeap::new(),
                    next_seq: 0,
                }),
                timer_set: Notify::new(),
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Virtual time since the clock was made.
    pub fn elapsed(&self) -> Duration {
        self.now().saturating_duration_since(self.inner.origin)
    }

    /// The instant this clock started at.
    pub fn origin(&self) -> Instant {
        self.inner.origin
    }

    /// The deadline of the earliest timer still waiting, if any.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        let mut state = self.state();
        while let Some(Reverse(entry)) = state.timers.peek() {
            if entry.timer.strong_count() > 0 {
                return Some(entry.deadline);
            }
            state.timers.pop();
        }
        None
    }

    /// Resolves once a timer is set (at once if one was set since the last
    /// call).
    pub(crate) async fn timer_set(&self) {
        self.inner.timer_set.notified().await;
    }

    /// Moves time forward to `at` (never back), firing nothing; for a
    /// clock that keeps its own time.
    #[cfg(test)]
    pub(crate) fn set_now(&self, at: Instant) {
        let mut state = self.state();
        state.now = state.now.max(at);
    }

    /// Fires every timer due by now, earliest first; returns how many.
    pub(crate) fn fire_due(&self) -> usize {
        let mut due = Vec::new();
        {
            let now = self.now();
            let mut state = self.state();
            while state.timers.peek().is_some_and(|Reverse(entry)| entry.deadline <= now) {
                if let Some(Reverse(entry)) = state.timers.pop() {
                    due.extend(entry.timer.upgrade());
                }
            }
        }
        for timer in &due {
            timer.fired.store(true, Ordering::Release);
            let waker = timer.waker.lock().unwrap_or_else(PoisonError::into_inner).take();
            if let Some(waker) = waker {
                waker.wake();
            }
        }
        due.len()
    }
}

impl Default for VirtualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for VirtualClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VirtualClock")
            .field("elapsed", &self.elapsed())
            .field("auto_advance", &self.inner.auto_advance)
            .finish_non_exhaustive()
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> Instant {
        match &self.inner.source {
            Source::Own => self.state().now,
            Source::Tokio(runtime) => tokio_now(runtime),
        }
    }

    fn sleep_until(&self, deadline: Instant) -> Sleep {
        let mut state = self.state();
        let now = match &self.inner.source {
            Source::Own if self.inner.auto_advance => {
                state.now = state.now.max(deadline);
                state.now
            }
            Source::Own => state.now,
            Source::Tokio(runtime) => tokio_now(runtime),
        };
        if deadline <= now {
            return Sleep::new(std::future::ready(()));
        }
        let timer = Arc::new(Timer::default());
        let seq = state.next_seq;
        state.next_seq += 1;
        state.timers.push(Reverse(Entry {
            deadline,
            seq,
            timer: Arc::downgrade(&timer),
        }));
        drop(state);
        self.inner.timer_set.notify_one();
        Sleep::new(VirtualSleep { timer })
    }
}

/// tokio's clock in `runtime`: paused, under a test system.
fn tokio_now(runtime: &tokio::runtime::Handle) -> Instant {
    // Entered, so that a reading from any thread (or from inside another
    // runtime) is this runtime's clock.
    let _entered = runtime.enter();
    tokio::time::Instant::now().into_std()
}

/// Completes once its timer has fired; dropping it cancels the timer.
struct VirtualSleep {
    timer: Arc<Timer>,
}

impl Future for VirtualSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.timer.fired.load(Ordering::Acquire) {
            return Poll::Ready(());
        }
        *self.timer.waker.lock().unwrap_or_else(PoisonError::into_inner) = Some(cx.waker().clone());
        // Fired between the check and storing the waker: do not sleep on it.
        if self.timer.fired.load(Ordering::Acquire) {
            return Poll::Ready(());
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::Waker;

    fn ready(sleep: &mut Sleep) -> bool {
        Pin::new(sleep).poll(&mut Context::from_waker(Waker::noop())).is_ready()
    }

    #[test]
    fn timers_fire_in_deadline_order_once_time_reaches_them() {
        let clock = VirtualClock::new();
        let start = clock.now();
        let mut late = clock.sleep_until(start + Duration::from_secs(2));
        let mut early = clock.sleep_until(start + Duration::from_secs(1));
        assert!(!ready(&mut late) && !ready(&mut early));
        assert_eq!(clock.next_deadline(), Some(start + Duration::from_secs(1)));
        clock.set_now(start + Duration::from_secs(1));
        assert_eq!(clock.fire_due(), 1);
        assert!(ready(&mut early) && !ready(&mut late));
        assert_eq!(clock.elapsed(), Duration::from_secs(1));
    }

    #[test]
    fn a_dropped_sleep_is_forgotten() {
        let clock = VirtualClock::new();
        let sleep = clock.sleep(Duration::from_secs(1));
        drop(sleep);
        assert_eq!(clock.next_deadline(), None);
    }

    #[test]
    fn time_never_moves_back() {
        let clock = VirtualClock::new();
        let start = clock.now();
        clock.set_now(start + Duration::from_secs(5));
        clock.set_now(start);
        assert_eq!(clock.elapsed(), Duration::from_secs(5));
    }

    #[test]
    fn an_auto_advancing_clock_jumps_to_each_deadline() {
        let clock = VirtualClock::auto_advancing();
        let mut sleep = clock.sleep(Duration::from_secs(3));
        assert!(ready(&mut sleep));
        assert_eq!(clock.elapsed(), Duration::from_secs(3));
    }
}
