//! Fresh trace and span ids: a SplitMix64 per thread, seeded from the
//! OS's randomness (std's `RandomState`, which seeds hash maps).
//!
//! Not the system's seeded generator: tracing must not shift the backoff
//! jitter a seeded system replays, nor make two nodes seeded alike give
//! out the same ids. Not a lock either: ids are drawn on the way into
//! every traced handler.

use std::cell::RefCell;
use std::hash::{BuildHasher, Hasher, RandomState};
use std::num::NonZeroU64;

use crate::rng::SplitMix64;

thread_local! {
    static IDS: RefCell<SplitMix64> = RefCell::new(SplitMix64::new(os_random()));
}

/// A draw from the OS's randomness, through a fresh `RandomState`.
fn os_random() -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(0x7ace);
    hasher.finish()
}

/// The next draw of this thread's generator (or, while the thread's
/// locals are torn down, straight from the OS).
fn draw() -> u64 {
    IDS.try_with(|ids| ids.borrow_mut().next_u64())
        .unwrap_or_else(|_| os_random())
}

/// A span id: never zero, which the W3C reserves for "none".
pub(crate) fn span_id() -> NonZeroU64 {
    loop {
        if let Some(id) = NonZeroU64::new(draw()) {
            return id;
        }
    }
}

/// A trace id, as its high and low halves: never both zero.
pub(crate) fn trace_id() -> (u64, u64) {
    loop {
        let (high, low) = (draw(), draw());
        if (high, low) != (0, 0) {
            return (high, low);
        }
    }
}
