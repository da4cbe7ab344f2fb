//! Small helpers: durations and locks.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

pub(crate) fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// `"150ms"` or `"2s"`, as in the attributes.
pub(crate) fn duration(text: &str) -> Duration {
    let parsed = match text.strip_suffix("ms") {
        Some(millis) => millis.parse().map(Duration::from_millis),
        None => text.trim_end_matches('s').parse().map(Duration::from_secs),
    };
    parsed.unwrap_or_else(|_| panic!("not a duration: {text:?}"))
}

/// Locks, whatever a panic left behind: handlers here panic on purpose.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
