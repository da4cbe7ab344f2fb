//! Fresh trace and span ids: a SplitMix64 per thread, seeded from the
//! OS's randomness (std's `RandomState`, which seeds hash maps).
//!
//! Not the system's seeded generator: tracing must not shift the backoff
//! jitter a seeded system replays, nor make two nodes seeded alike give
//! out the same ids. Not a lock either: ids are drawn on the way into
//! every traced handler.

use std::cell::Cell;
use std::hash::{BuildHasher, Hasher, RandomState};
use std::num::NonZeroU64;

use crate::rng::SplitMix64;

thread_local! {
    // The generator's state; 0 until the thread's first draw seeds it
    // (a `const` local without a destructor: no lazy initialisation to
    // check at every draw).
    static STATE: Cell<u64> = const { Cell::new(0) };
}

/// A draw from the OS's randomness, through a fresh `RandomState`.
#[cold]
fn os_random() -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(0x7ace);
    hasher.finish()
}

/// The next draw of this thread's generator.
#[inline]
fn draw() -> u64 {
    STATE.with(|state| {
        let mut seed = state.get();
        if seed == 0 {
            seed = os_random() | 1;
        }
        let mut generator = SplitMix64::new(seed);
        let value = generator.next_u64();
        // SplitMix64 steps its state by a constant: the next state is this
        // one's plus the step (should it ever come round to 0, the next
        // draw seeds afresh).
        state.set(seed.wrapping_add(SplitMix64::STEP));
        value
    })
}

/// A span id: never zero, which the W3C reserves for "none".
#[inline]
pub(crate) fn span_id() -> NonZeroU64 {
    loop {
        if let Some(id) = NonZeroU64::new(draw()) {
            return id;
        }
    }
}

/// A trace id, as its high and low halves: never both zero.
#[inline]
pub(crate) fn trace_id() -> (u64, u64) {
    loop {
        let (high, low) = (draw(), draw());
        if (high, low) != (0, 0) {
            return (high, low);
        }
    }
}
