//! Event-sourced processes (feature `journal`): events persisted through a
//! process against the store's own appends, in the same run, and replays
//! of a long journal with and without a snapshot.
//!
//! | | phyx | the store alone |
//! | --- | --- | --- |
//! | persist | `ledger.record(payload).await`: an ask whose handler runs `ctx.persist` of a 64-byte event and replies once it is stored | `store.append(key, n, vec![bytes])` of the same encoded event, awaited |
//! | replay | a new `Ledger` answering its first ask after replaying `n` events (or the last 1,000 after a snapshot) | — |

use std::time::{Duration, Instant};

use phyx::SpawnOptions;
use phyx::journal::{Journal, PersistError, Snapshot, encode};
use phyx::prelude::*;
use serde::{Deserialize, Serialize};

/// What is persisted: 64 bytes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Payload(pub Vec<u8>);

impl Payload {
    /// 64 bytes of something.
    pub fn new() -> Self {
        Self((0..64).collect())
    }
}

impl Default for Payload {
    fn default() -> Self {
        Self::new()
    }
}

/// Counts what it persisted.
#[derive(Debug, Default)]
pub struct Ledger {
    count: u64,
}

#[process(journal)]
impl Ledger {
    #[apply]
    fn apply(&mut self, _payload: &Payload) {
        self.count += 1;
    }

    #[snapshot]
    fn snapshot(&self) -> u64 {
        self.count
    }

    #[restore]
    fn restore(&mut self, count: u64) {
        self.count = count;
    }

    /// Persists `payload`; replies once it is stored.
    #[public]
    pub async fn record(&mut self, ctx: &mut Ctx<Self>, payload: Payload) -> Result<u64, PersistError> {
        ctx.persist(self, payload).await?;
        Ok(self.count)
    }

    /// How many events it holds.
    #[public]
    pub fn count(&self) -> u64 {
        self.count
    }
}

/// Each persist's round trip, through the process and through the store
/// alone, interleaved in blocks so that both see the same disk.
#[derive(Debug, Default)]
pub struct Persisted {
    /// `ledger.record(..).await`, one after another.
    pub phyx: Vec<Duration>,
    /// `store.append(..).await` of the same bytes, one after another.
    pub raw: Vec<Duration>,
}

/// `n` persists through a `Ledger` on `store` and `n` appends to `store`
/// under another key; call inside a tokio runtime.
pub async fn persist<J: Journal + Clone>(store: J, n: usize, run: usize) -> Persisted {
    let system = System::builder().journal(store.clone()).build();
    let name = format!("ledger-{run}-{}", std::process::id());
    let ledger: LedgerRef = system.spawn_with(Ledger::default, SpawnOptions::new().name(&name));
    ledger.count().await.expect("the ledger starts");
    let raw_key = format!("{name}-raw");
    let bytes = encode(&Payload::new()).expect("a payload encodes");
    let mut persisted = Persisted::default();
    let mut position = 0;
    const BLOCK: usize = 100;
    while persisted.phyx.len() < n {
        for _ in 0..BLOCK.min(n - persisted.phyx.len()) {
            let started = Instant::now();
            ledger
                .record(Payload::new())
                .await
                .expect("the ledger answers")
                .expect("the store takes it");
            persisted.phyx.push(started.elapsed());
            position += 1;
            let started = Instant::now();
            store
                .append(&raw_key, position, vec![bytes.clone()])
                .await
                .expect("the store takes it");
            persisted.raw.push(started.elapsed());
        }
    }
    system.shutdown().await;
    persisted
}

/// How long a new `Ledger` takes to answer its first ask after replaying
/// a journal of `events` events; with `snapshot`, one at `events - 1000`
/// leaves 1,000 to replay. Returns the time and the events replayed.
pub async fn replay<J: Journal + Clone>(store: J, events: u64, snapshot: bool, run: usize) -> (Duration, u64) {
    let key = format!("replay-{run}-{snapshot}-{}", std::process::id());
    let bytes = encode(&Payload::new()).expect("a payload encodes");
    let mut position = 0;
    while position < events {
        let batch = 1000.min(events - position);
        let batch_events = (0..batch).map(|_| bytes.clone()).collect();
        store
            .append(&key, position + 1, batch_events)
            .await
            .expect("the store takes it");
        position += batch;
    }
    let replayed = if snapshot {
        let at = events.saturating_sub(1000);
        let saved = Snapshot {
            position: at,
            bytes: encode(&at).expect("a count encodes"),
        };
        store.save_snapshot(&key, saved).await.expect("the store takes it");
        events - at
    } else {
        events
    };
    let system = System::builder().journal(store).build();
    let started = Instant::now();
    let ledger: LedgerRef = system.spawn_with(Ledger::default, SpawnOptions::new().name(&key));
    let count = ledger.count().await.expect("the ledger replays");
    let elapsed = started.elapsed();
    assert_eq!(count, events, "the replay rebuilt every event");
    system.shutdown().await;
    (elapsed, replayed)
}
