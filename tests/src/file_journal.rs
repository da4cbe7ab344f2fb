//! What the `journal-writer` binary appends to its `FileJournal`, so that
//! the test that kills it knows what the journal must hold.

/// The one journal the writer appends to.
pub const KEY: &str = "writer/0";

/// The event at `position`: its number and a filler of a length that
/// varies with it, so that records are of many sizes.
pub fn event(position: u64) -> Vec<u8> {
    let filler = usize::try_from(position % 97).unwrap_or(0);
    format!("event {position} {}", "x".repeat(filler)).into_bytes()
}

/// How many events the batch that starts at `position` holds (1 to 4):
/// a function of the position alone, so that whoever knows where a run
/// started knows every batch's bounds.
pub fn batch_len(seed: u64, position: u64) -> u64 {
    1 + splitmix(seed ^ position.wrapping_mul(0x9E37_79B9_7F4A_7C15)) % 4
}

/// SplitMix64: a seeded number from a number.
pub fn splitmix(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
