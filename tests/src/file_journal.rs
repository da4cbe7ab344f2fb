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

/// The event-sourced tally of the `journaled-tally` binary, which the test
/// kills in the middle of its persists: each event adds
/// [`amount`]`(position)`, and a snapshot is saved every 25 events.
#[derive(Debug, Default)]
pub struct Tally {
    total: u64,
    events: u64,
}

#[phyx::process(journal, snapshot_every = 25)]
impl Tally {
    #[apply]
    fn apply(&mut self, amount: u64) {
        self.total += amount;
        self.events += 1;
    }

    #[snapshot]
    fn snapshot(&self) -> (u64, u64) {
        (self.total, self.events)
    }

    #[restore]
    fn restore(&mut self, (total, events): (u64, u64)) {
        (self.total, self.events) = (total, events);
    }

    /// Persists the next event; its events and total after it.
    #[public]
    pub async fn add_next(&mut self, ctx: &mut phyx::Ctx<Self>) -> Result<(u64, u64), phyx::journal::PersistError> {
        ctx.persist(self, amount(self.events + 1)).await?;
        Ok((self.events, self.total))
    }

    /// Its events and total.
    #[public]
    pub fn get(&self) -> (u64, u64) {
        (self.events, self.total)
    }
}

/// What the event at `position` adds.
pub fn amount(position: u64) -> u64 {
    1 + splitmix(position) % 100
}

/// The total of the first `events` events.
pub fn total_of(events: u64) -> u64 {
    (1..=events).map(amount).sum()
}
