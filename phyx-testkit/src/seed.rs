//! The seed of a test run: chosen per test, printed on failure, replayable.

use std::hash::{DefaultHasher, Hash, Hasher};

/// The environment variable that replays a seed: `PHYX_SEED=42 cargo test`.
pub const SEED_VAR: &str = "PHYX_SEED";

/// `PHYX_SEED` if set, else a hash of the current thread's name, which the
/// test harness sets to the test's name: each test has its own seed, the
/// same on every run.
pub(crate) fn default_seed() -> u64 {
    if let Some(seed) = std::env::var(SEED_VAR).ok().and_then(|value| value.trim().parse().ok()) {
        return seed;
    }
    // `DefaultHasher::new()` uses fixed keys, so this is stable across runs.
    let mut hasher = DefaultHasher::new();
    std::thread::current().name().unwrap_or("main").hash(&mut hasher);
    hasher.finish()
}
