//! The replies of a `#[process(journal)]`'s idempotent methods, recorded
//! so that they outlive the OS process.
//!
//! Each method keeps the journal `phyx/idempotent/<process>/<method>`
//! (phyx's reserved prefix): one record per completed call, its key and
//! its reply encoded as the journal encodes events (postcard), appended
//! before the reply goes to anyone. The first instance of the process in
//! a system loads it, after the process's own events and before its start
//! hook; later instances (restarts) find the table in memory, which is
//! newer.
//!
//! - **Time.** A journal keeps no clock readings (phyx's clock has only
//!   instants, which mean nothing to another OS process): a record read
//!   back counts as seen when it is read, so that its window is never
//!   shortened, at worst lengthened by the time the OS process was down.
//! - **Growth.** Every so many records (as many as the table holds, and
//!   at least [`SNAPSHOT_AFTER`]), the records of the keys still within
//!   their window are saved as the journal's snapshot, and loading starts
//!   there: loading reads one window's records and those since. The
//!   store keeps the older records, as it keeps every journal's events.
//! - **Failures.** A record that does not encode, or a store that fails
//!   the append, is reported (`tracing`, at WARN) and the reply still
//!   goes out: the call's effect happened, and this OS process still
//!   remembers it; only a restart of the OS process would forget it. A
//!   record that no longer decodes (its key's or reply's type changed) is
//!   passed over at loading, with a warning: its key runs again.

use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::call::{Record, Recording, Table, slot};
use super::table::Entries;
use super::{IdempotentSpec, Key, Shared};
use crate::journal::{Journal, JournalError, Journals, RESERVED, Snapshot, decode, encode};
use crate::kernel::ctx::Ctx;

/// The fewest records between two snapshots of a method's journal.
pub(super) const SNAPSHOT_AFTER: u64 = 64;

/// Records read from the store at a time while loading.
const LOAD_BATCH: usize = 4096;

/// Attempts to append a record while another writer keeps getting there
/// first.
const ATTEMPTS: u32 = 16;

/// What the key and the reply of an idempotent method of a
/// `#[process(journal)]` must be: they are recorded in its journal. See
/// [`IdempotentKey`].
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not serde, and the keys and replies of `#[idempotent]` methods of a `#[process(journal)]` are recorded in its journal",
    label = "not `Serialize + DeserializeOwned`",
    note = "derive `Serialize` and `Deserialize` for `{Self}` (serde's derives), so that a reply outlives the OS process"
)]
pub trait Recorded {
    const OK: usize = 1;
}

impl<T: Serialize + DeserializeOwned> Recorded for T {}

/// The journal of one method's records.
struct Records {
    journals: Arc<Journals>,
    key: String,
    position: tokio::sync::Mutex<Position>,
}

struct Position {
    /// Where the next record goes.
    next: u64,
    /// Records appended since the last snapshot (or the first).
    since_snapshot: u64,
}

/// [`Records`] for a table of `K` keys and `R` replies.
struct Journaled<K, R> {
    records: Arc<Records>,
    types: PhantomData<fn() -> (K, R)>,
}

impl<K, R> Record<K, R> for Journaled<K, R>
where
    K: Key + Serialize + DeserializeOwned,
    R: Shared + Serialize + DeserializeOwned,
{
    fn record(&self, table: &Arc<Table<K, R>>, key: &K, reply: &R) -> Recording {
        let encoded = encode(&(key, reply));
        let (records, table) = (self.records.clone(), table.clone());
        Box::pin(async move {
            let record = match encoded {
                Ok(record) => record,
                Err(error) => {
                    tracing::warn!(
                        target: "phyx", journal = %records.key,
                        "the reply is not recorded ({error}): a retry after a restart of the OS process runs the handler again"
                    );
                    return;
                }
            };
            records.append(&table, record).await;
        })
    }
}

impl Records {
    /// Appends `record`, then saves a snapshot if one is due; a failure of
    /// the store is reported, not returned (see the module's docs).
    async fn append<K, R>(&self, table: &Table<K, R>, record: Vec<u8>)
    where
        K: Key + Serialize + DeserializeOwned,
        R: Shared + Serialize + DeserializeOwned,
    {
        let store = self.journals.store();
        let mut position = self.position.lock().await;
        if let Err(error) = append_at_end(store, &self.key, &mut position.next, record.clone()).await {
            tracing::warn!(
                target: "phyx", journal = %self.key,
                "the reply is not recorded ({error}): a retry after a restart of the OS process runs the handler again"
            );
            return;
        }
        position.since_snapshot += 1;
        let live = {
            let entries = table.lock();
            let due = position.since_snapshot >= SNAPSHOT_AFTER.max(entries.len() as u64);
            // The call being recorded is not done in the table yet: its
            // record joins the snapshot by hand.
            due.then(|| {
                entries
                    .live(table.now())
                    .into_iter()
                    .map(|(key, reply)| encode(&(key, reply)))
                    .chain([Ok(record)])
                    .collect::<Result<Vec<_>, _>>()
            })
        };
        let Some(live) = live else { return };
        let saved = match live.and_then(|live| encode(&live)) {
            Ok(bytes) => {
                let snapshot = Snapshot {
                    position: position.next - 1,
                    bytes,
                };
                store
                    .save_snapshot(&self.key, snapshot)
                    .await
                    .map_err(|error| error.to_string())
            }
            Err(error) => Err(error.to_string()),
        };
        match saved {
            Ok(()) => position.since_snapshot = 0,
            // The records are stored; only the shortcut is missing.
            Err(error) => tracing::warn!(target: "phyx", journal = %self.key, "snapshot not saved: {error}"),
        }
    }
}

/// Appends `record` at `*next`, or after what another writer appended
/// first (a record is a fact about one key: two writers' records
/// interleave harmlessly).
async fn append_at_end(store: &dyn Journal, key: &str, next: &mut u64, record: Vec<u8>) -> Result<(), JournalError> {
    for _ in 0..ATTEMPTS {
        match store.append(key, *next, vec![record.clone()]).await {
            Ok(()) => {
                *next += 1;
                return Ok(());
            }
            // A store that cannot say where the end is would loop.
            Err(JournalError::Conflict { found, .. }) if found != *next && found > 0 => *next = found,
            Err(error) => return Err(error),
        }
    }
    Err(JournalError::unavailable(
        key,
        format!("other writers kept appending first, {ATTEMPTS} times"),
    ))
}

/// Loads the records of `spec`'s method into its table, unless the
/// process has one already (an earlier instance made it): what
/// `#[process(journal)]` runs after recovering its events. An `Err`
/// fails the start.
#[doc(hidden)]
pub fn recover_idempotent<K, R, T>(
    ctx: &Ctx<T>,
    spec: IdempotentSpec,
) -> impl Future<Output = Result<(), String>> + Send + 'static
where
    K: Key + Serialize + DeserializeOwned,
    R: Shared + Serialize + DeserializeOwned,
{
    let node = ctx.node().clone();
    async move {
        let core = node.core();
        if slot(core, spec).get().is_some() {
            return Ok(());
        }
        // `recover` has failed the start already without a store.
        let Some(journals) = Journals::of(&core.system) else {
            return Ok(());
        };
        let key = format!("{RESERVED}idempotent/{}/{}", core.name, spec.method);
        let now = core.system.clock.now();
        let mut entries = Entries::<K, R>::new(spec.window, spec.capacity);
        let store = journals.store();
        let snapshot = store
            .load_snapshot(&key)
            .await
            .map_err(|error| format!("loading the replies of `{}`: {error}", spec.method))?;
        let mut position = 0;
        if let Some(Snapshot { position: at, bytes }) = snapshot {
            match decode::<Vec<Vec<u8>>>(&key, at, &bytes) {
                Ok(records) => {
                    for record in records {
                        restore(&mut entries, &key, at, &record, now);
                    }
                    position = at;
                }
                Err(error) => tracing::warn!(
                    target: "phyx", journal = %key,
                    "the snapshot does not decode ({error}); reading every record instead"
                ),
            }
        }
        let after_snapshot = position;
        loop {
            let batch = store
                .read(&key, position + 1, LOAD_BATCH)
                .await
                .map_err(|error| format!("loading the replies of `{}`: {error}", spec.method))?;
            if batch.is_empty() {
                break;
            }
            for record in batch {
                position += 1;
                restore(&mut entries, &key, position, &record, now);
            }
        }
        let records = Records {
            journals,
            key,
            position: tokio::sync::Mutex::new(Position {
                next: position + 1,
                since_snapshot: position - after_snapshot,
            }),
        };
        let journal = Journaled {
            records: Arc::new(records),
            types: PhantomData,
        };
        let _ = slot(core, spec).set(Arc::new(Table::new(core, entries).journaled(Box::new(journal))));
        Ok(())
    }
}

/// Puts one record back in the table, as seen `now`; one that no longer
/// decodes is passed over (see the module's docs).
fn restore<K, R>(entries: &mut Entries<K, R>, journal: &str, position: u64, record: &[u8], now: std::time::Instant)
where
    K: Key + Serialize + DeserializeOwned,
    R: Shared + Serialize + DeserializeOwned,
{
    match decode::<(K, R)>(journal, position, record) {
        Ok((key, reply)) => entries.restore(key, reply, now),
        Err(error) => tracing::warn!(
            target: "phyx", journal,
            "{error}; passed over: a call with its key runs the handler again"
        ),
    }
}
