//! A small seeded generator, so that backoff jitter replays in tests.
// Public for test kits, as `phyx::testing`, with the `test-util` feature.
#![cfg_attr(
    not(feature = "test-util"),
    allow(unreachable_pub, reason = "reachable as `phyx::testing` with `test-util`")
)]

/// SplitMix64 (Steele, Lea, Flood 2014): fast, tiny, and good enough for
/// spreading delays; not for anything secret. The test kit draws its fault
/// fractions from one too, seeded like the system's.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// What each draw adds to the state (the golden ratio's bits): the
    /// state after a draw is the state before plus this.
    pub(crate) const STEP: u64 = 0x9E37_79B9_7F4A_7C15;

    /// A generator whose draws are fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next draw, uniform over `u64`.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(Self::STEP);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0.0..1.0`.
    pub fn next_f64(&mut self) -> f64 {
        // The top 53 bits fill an f64 mantissa exactly.
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence() {
        let mut a = SplitMix64::new(7);
        let mut b = SplitMix64::new(7);
        assert!((0..100).all(|_| a.next_u64() == b.next_u64()));
    }

    #[test]
    fn floats_stay_in_unit_interval() {
        let mut rng = SplitMix64::new(1);
        assert!((0..10_000).map(|_| rng.next_f64()).all(|x| (0.0..1.0).contains(&x)));
    }
}
