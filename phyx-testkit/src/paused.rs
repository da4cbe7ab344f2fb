//! tokio's paused clock as the test kit drives it: pausing it without a
//! panic, and the whole milliseconds its timer wheel counts in.
//!
//! tokio's time driver counts whole milliseconds from the moment the runtime
//! started and rounds every timer's deadline up to the next one
//! (`TimeSource::deadline_to_tick` in tokio's `runtime/time/source.rs`); a
//! paused clock's auto-advance moves by whole milliseconds
//! (`Driver::park_thread_timeout`). [`align`] puts the clock on one of those
//! milliseconds, so that a whole-millisecond sleep ends exactly on time, and
//! [`Grid`] names them.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

const MS: Duration = Duration::from_millis(1);

/// Pauses tokio's clock in the current runtime, unless it already is
/// (`start_paused = true`, or an earlier test system): without the panic
/// that `tokio::time::pause` raises then.
pub(crate) fn pause() {
    if !is_paused() {
        tokio::time::pause();
    }
}

/// Whether tokio's clock stands still while real time passes.
fn is_paused() -> bool {
    let before = tokio::time::Instant::now();
    let real = Instant::now();
    while Instant::now() == real {
        std::hint::spin_loop();
    }
    // A running tokio clock reads real time, which has moved on.
    tokio::time::Instant::now() == before
}

/// Moves the paused clock forward, by less than a millisecond, onto a whole
/// millisecond of tokio's timer wheel; returns where it is now.
pub(crate) fn align() -> Instant {
    let now = tokio::time::Instant::now().into_std();
    let Some(millisecond) = wheel_millisecond(now) else {
        return now;
    };
    let off = sub_ms(now.duration_since(millisecond));
    if off == Duration::ZERO {
        return now;
    }
    // `advance` moves the clock when first polled, then yields; what it
    // yields to does not matter here.
    let _ = poll_once(tokio::time::advance(MS - off));
    tokio::time::Instant::now().into_std()
}

/// A whole millisecond of tokio's timer wheel, at or before `now`.
///
/// A sleep polled for the first time completes at once when the wheel has
/// already passed the millisecond its deadline rounds up to: so the
/// deadlines that do are exactly those at or before the last millisecond
/// the wheel passed, whose instant a binary search finds to the nanosecond.
fn wheel_millisecond(now: Instant) -> Option<Instant> {
    if wheel_passed(now) {
        return Some(now);
    }
    let mut not_passed = now;
    let mut back = MS;
    let mut passed = loop {
        let at = now.checked_sub(back)?;
        if wheel_passed(at) {
            break at;
        }
        not_passed = at;
        back = back.checked_mul(2)?;
    };
    while not_passed - passed > Duration::from_nanos(1) {
        let middle = passed + (not_passed - passed) / 2;
        if wheel_passed(middle) {
            passed = middle;
        } else {
            not_passed = middle;
        }
    }
    Some(passed)
}

/// Whether a tokio sleep until `deadline` completes at its first poll.
fn wheel_passed(deadline: Instant) -> bool {
    poll_once(tokio::time::sleep_until(deadline.into())).is_ready()
}

/// Polls `future` once, outside tokio's cooperative budget (which could
/// make a ready timer look pending).
fn poll_once<F: Future>(future: F) -> Poll<F::Output> {
    let mut future = pin!(tokio::task::unconstrained(future));
    future.as_mut().poll(&mut Context::from_waker(Waker::noop()))
}

/// The part of `duration` beyond whole milliseconds.
fn sub_ms(duration: Duration) -> Duration {
    Duration::from_nanos(u64::from(duration.subsec_nanos() % 1_000_000))
}

/// The whole milliseconds of tokio's timer wheel, from an instant on one.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Grid {
    origin: Instant,
}

impl Grid {
    /// The milliseconds of the wheel that `origin` (from [`align`]) is on.
    pub(crate) fn new(origin: Instant) -> Self {
        Self { origin }
    }

    /// The latest whole millisecond at or before `at`.
    pub(crate) fn floor(self, at: Instant) -> Instant {
        at - sub_ms(at.saturating_duration_since(self.origin))
    }

    /// The earliest whole millisecond at or after `at`.
    pub(crate) fn ceil(self, at: Instant) -> Instant {
        let floor = self.floor(at);
        if floor == at { at } else { floor + MS }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_rounds_to_whole_milliseconds_from_its_origin() {
        let origin = Instant::now();
        let grid = Grid::new(origin);
        let at = |micros: u64| origin + Duration::from_micros(micros);
        assert_eq!((grid.floor(at(2_500)), grid.ceil(at(2_500))), (at(2_000), at(3_000)));
        assert_eq!((grid.floor(at(3_000)), grid.ceil(at(3_000))), (at(3_000), at(3_000)));
        assert_eq!((grid.floor(at(0)), grid.ceil(at(1))), (at(0), at(1_000)));
    }

    #[tokio::test]
    async fn pausing_twice_is_quiet_and_aligning_lands_on_the_wheel() {
        pause();
        assert!(is_paused());
        pause();
        let origin = align();
        assert_eq!(tokio::time::Instant::now().into_std(), origin);
        // A whole-millisecond sleep ends exactly: the wheel counts from here.
        tokio::time::sleep(Duration::from_millis(7)).await;
        assert_eq!(
            tokio::time::Instant::now().into_std() - origin,
            Duration::from_millis(7)
        );
        assert_eq!(align(), origin + Duration::from_millis(7), "already aligned");
    }

    #[tokio::test]
    async fn aligning_from_between_milliseconds() {
        pause();
        let start = tokio::time::Instant::now();
        tokio::time::advance(Duration::from_micros(2_300)).await;
        let origin = align();
        let moved = origin - start.into_std();
        assert!(
            moved >= Duration::from_micros(2_300) && moved < Duration::from_micros(3_300),
            "{moved:?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert_eq!(
            tokio::time::Instant::now().into_std() - origin,
            Duration::from_millis(5)
        );
    }

    #[tokio::test]
    async fn a_running_clock_is_not_paused() {
        assert!(!is_paused());
    }
}
