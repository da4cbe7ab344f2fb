//! An event-sourced process's journal while an instance runs: rebuilding
//! its state at start, persisting its events, taking snapshots.

use std::any::type_name;
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, PoisonError};

use crate::event::{EventKind, StopReason};
use crate::journal::EventSourced;
use crate::journal::codec::{decode, encode};
use crate::journal::error::{JournalError, PersistError};
use crate::journal::store::{Journal, Snapshot};
use crate::kernel::ctx::Ctx;
use crate::kernel::system::SystemInner;
use crate::panic::panic_message;

/// Events read from the store at a time during a replay.
const REPLAY_BATCH: usize = 4096;

/// Where the names of phyx's own journals start (a saga's, the index of
/// sagas, the replies of an idempotent method): no event-sourced process
/// may take such a name.
pub(crate) const RESERVED: &str = "phyx/";

/// Attempts to append to a shared journal while other writers keep
/// getting there first.
const SHARED_ATTEMPTS: u32 = 16;

/// A system's journal store, and the journals its processes have open:
/// a journal has one writer.
pub(crate) struct Journals {
    store: Arc<dyn Journal>,
    open: Mutex<HashSet<Arc<str>>>,
    /// The next position of each shared journal, as this system last saw
    /// it; held across an append, so that this system's writers take
    /// turns.
    shared: tokio::sync::Mutex<HashMap<String, u64>>,
}

impl Journals {
    pub(crate) fn new(store: Arc<dyn Journal>) -> Self {
        Self {
            store,
            open: Mutex::default(),
            shared: tokio::sync::Mutex::default(),
        }
    }

    pub(crate) fn store(&self) -> &dyn Journal {
        &*self.store
    }

    /// Appends `event` at the end of journal `key`, which many writers
    /// share (every saga of every system on the store): when another
    /// writer got there first, it goes after theirs.
    pub(crate) async fn append_shared(&self, key: &str, event: Vec<u8>) -> Result<(), JournalError> {
        let mut shared = self.shared.lock().await;
        let mut first = shared.get(key).copied().unwrap_or(1);
        for _ in 0..SHARED_ATTEMPTS {
            match self.store.append(key, first, vec![event.clone()]).await {
                Ok(()) => {
                    shared.insert(key.to_owned(), first + 1);
                    return Ok(());
                }
                // A store that cannot say where the end is would loop.
                Err(JournalError::Conflict { found, .. }) if found != first && found > 0 => first = found,
                Err(error) => return Err(error),
            }
        }
        Err(JournalError::unavailable(
            key,
            format!("other writers kept appending first, {SHARED_ATTEMPTS} times"),
        ))
    }

    /// Sets the system's store, unless it has one.
    pub(crate) fn attach(system: &SystemInner, store: Arc<dyn Journal>) {
        let _ = system.journals.set(Arc::new(Self::new(store)));
    }

    pub(crate) fn of(system: &SystemInner) -> Option<Arc<Self>> {
        let journals = system.journals.get()?.clone();
        journals.downcast::<Self>().ok()
    }

    /// Opens journal `key` for writing, unless it is open already.
    pub(crate) fn claim(self: &Arc<Self>, key: Arc<str>) -> Option<Claim> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        open.insert(key.clone()).then(|| Claim {
            journals: self.clone(),
            key,
        })
    }
}

/// A journal held open by a process instance (or a saga), released when
/// it ends.
pub(crate) struct Claim {
    journals: Arc<Journals>,
    key: Arc<str>,
}

impl Drop for Claim {
    fn drop(&mut self) {
        let mut open = self.journals.open.lock().unwrap_or_else(PoisonError::into_inner);
        open.remove(&self.key);
    }
}

/// What an instance of an event-sourced process knows of its journal.
pub(crate) struct Session {
    claim: Claim,
    /// Where the next event goes.
    next: u64,
    /// Events persisted since the last snapshot (or the first event).
    since_snapshot: u64,
}

impl Session {
    fn store(&self) -> &dyn Journal {
        &*self.claim.journals.store
    }

    fn key(&self) -> &str {
        &self.claim.key
    }
}

/// Rebuilds `state` (fresh from the factory) from its journal: the
/// latest snapshot, then every event after it. What `#[process(journal)]`
/// runs before the start hook; an `Err` fails the start.
pub async fn recover<T: EventSourced>(state: &mut T, ctx: &mut Ctx<T>) -> Result<(), String> {
    let system = &ctx.node().core().system;
    let Some(journals) = Journals::of(system) else {
        return Err(format!(
            "`{}` is event-sourced (`#[process(journal)]`) but its system has no journal store: build the system \
             with `System::builder().journal(phyx::journal::FileJournal::open(\"journal\")?)`, or another store",
            T::NAME
        ));
    };
    let key: Arc<str> = ctx.name().into();
    if key.starts_with(RESERVED) {
        return Err(format!(
            "`{}` is event-sourced under the name `{key}`, and journal names starting with `{RESERVED}` are \
             phyx's own (sagas keep their journals there): give the process another name \
             (`SpawnOptions::new().name(..)`)",
            T::NAME
        ));
    }
    let Some(claim) = journals.claim(key.clone()) else {
        return Err(format!(
            "journal `{key}` is open in another process of this system; a journal has one writer, the process \
             named after it: give each event-sourced process a name of its own (`SpawnOptions::new().name(..)`)"
        ));
    };
    let store = &*journals.store;
    let snapshot = restore_snapshot(state, store, &key).await?;
    let mut position = snapshot.unwrap_or(0);
    loop {
        let batch = store
            .read(&key, position + 1, REPLAY_BATCH)
            .await
            .map_err(|error| format!("replaying: {error}"))?;
        if batch.is_empty() {
            break;
        }
        for bytes in batch {
            position += 1;
            let event = decode::<T::Event>(&key, position, &bytes).map_err(|error| error.to_string())?;
            catch_unwind(AssertUnwindSafe(|| state.apply(event))).map_err(|payload| {
                format!(
                    "journal `{key}`: applying event {position} panicked: {}",
                    panic_message(payload)
                )
            })?;
        }
    }
    let replayed = position - snapshot.unwrap_or(0);
    ctx.node().core().publish(EventKind::Recovered {
        snapshot,
        events: replayed,
    });
    ctx.session = Some(Box::new(Session {
        claim,
        next: position + 1,
        since_snapshot: replayed,
    }));
    Ok(())
}

/// Restores the latest snapshot into `state`: the position it includes,
/// or `None` to replay from the first event, when there is none or it no
/// longer decodes (the events are the truth; the snapshot a shortcut).
async fn restore_snapshot<T: EventSourced>(
    state: &mut T,
    store: &dyn Journal,
    key: &str,
) -> Result<Option<u64>, String> {
    let Some(Snapshot { position, bytes }) = store
        .load_snapshot(key)
        .await
        .map_err(|error| format!("loading the snapshot: {error}"))?
    else {
        return Ok(None);
    };
    match postcard::from_bytes::<T::Snapshot>(&bytes) {
        Ok(snapshot) => {
            catch_unwind(AssertUnwindSafe(|| state.restore(snapshot))).map_err(|payload| {
                format!(
                    "journal `{key}`: restoring the snapshot at position {position} panicked: {}",
                    panic_message(payload)
                )
            })?;
            Ok(Some(position))
        }
        Err(error) => {
            tracing::warn!(
                target: "phyx", journal = key, position,
                "the snapshot does not decode as `{}` ({error}); replaying every event instead",
                type_name::<T::Snapshot>()
            );
            Ok(None)
        }
    }
}

impl<T: EventSourced> Ctx<T> {
    /// Appends `event` to this process's journal, then applies it to
    /// `state` (the process's `#[apply]` method): once this returns `Ok`,
    /// the event is as durable as the journal's store makes it, and every
    /// later instance of the process, after a crash or a restart of the OS
    /// process, replays it.
    ///
    /// A handler's reply goes out when the handler returns, so after its
    /// events are durable. A crash between the two (the handler panics,
    /// or the OS process dies) leaves the event persisted and the caller
    /// without a reply: the next instance has it, once.
    ///
    /// # Errors
    ///
    /// [`PersistError::Encode`]: the event does not encode; nothing was
    /// written. [`PersistError::Journal`]: the store failed; the state is
    /// unchanged, and this instance ends once the handler returns (the
    /// store may hold the event): the next one rebuilds its state from the
    /// journal.
    ///
    /// # Examples
    ///
    /// ```
    /// use phyx::prelude::*;
    /// use phyx::journal::{MemoryJournal, PersistError};
    /// use serde::{Deserialize, Serialize};
    ///
    /// #[derive(Serialize, Deserialize)]
    /// enum Event { Deposited(u64) }
    ///
    /// #[derive(Default)]
    /// struct Account { balance: u64 }
    ///
    /// #[process(journal)]
    /// impl Account {
    ///     #[apply]
    ///     fn apply(&mut self, event: Event) {
    ///         match event { Event::Deposited(amount) => self.balance += amount }
    ///     }
    ///
    ///     #[public]
    ///     async fn deposit(&mut self, ctx: &mut Ctx<Self>, amount: u64) -> Result<u64, PersistError> {
    ///         ctx.persist(self, Event::Deposited(amount)).await?;
    ///         Ok(self.balance)
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let system = System::builder().journal(MemoryJournal::new()).build();
    /// let account = system.spawn(Account::default);
    /// assert_eq!(account.deposit(5).await.unwrap(), Ok(5));
    /// # system.shutdown().await;
    /// # }
    /// ```
    pub async fn persist(&mut self, state: &mut T, event: T::Event) -> Result<(), PersistError> {
        self.persist_all(state, [event]).await
    }

    /// Appends `events` to this process's journal, all or none, then
    /// applies them to `state` in order; see [`persist`](Self::persist).
    /// Nothing to persist is `Ok` at once.
    ///
    /// # Errors
    ///
    /// As [`persist`](Self::persist)'s.
    pub async fn persist_all(
        &mut self,
        state: &mut T,
        events: impl IntoIterator<Item = T::Event>,
    ) -> Result<(), PersistError> {
        let events: Vec<T::Event> = events.into_iter().collect();
        if events.is_empty() {
            return Ok(());
        }
        let encoded = events.iter().map(encode).collect::<Result<Vec<_>, _>>()?;
        let count = events.len() as u64;
        let appended = {
            let session = self.session()?;
            session.store().append(session.key(), session.next, encoded).await
        };
        if let Err(error) = appended {
            self.end_instance(StopReason::JournalFailed {
                error: error.to_string().into(),
            });
            return Err(PersistError::Journal(error));
        }
        let session = self.session()?;
        session.next += count;
        session.since_snapshot += count;
        for event in events {
            state.apply(event);
        }
        if T::SNAPSHOT_EVERY > 0 && self.session()?.since_snapshot >= T::SNAPSHOT_EVERY {
            if let Err(error) = self.save_snapshot(state).await {
                // The events are durable; only the shortcut is missing.
                tracing::warn!(target: "phyx", process = %self.name(), "snapshot not saved: {error}");
            }
        }
        Ok(())
    }

    /// Saves `state`'s snapshot (the process's `#[snapshot]` method) as its
    /// journal's latest: the next instance restores it and replays only
    /// the events after it. A process without a `#[snapshot]` method has
    /// none to save, and this does nothing.
    ///
    /// `#[process(journal, snapshot_every = N)]` saves one every `N`
    /// events by itself.
    ///
    /// # Errors
    ///
    /// The snapshot does not encode, or the store failed. Either way the
    /// journal and the state are as they were, and the process goes on.
    pub fn save_snapshot<'a>(&'a mut self, state: &T) -> impl Future<Output = Result<(), PersistError>> + Send + 'a {
        // Made now, so that the future does not hold the state (which
        // need not be `Sync`).
        let snapshot = state.snapshot().map(|snapshot| encode(&snapshot));
        async move {
            match snapshot {
                None => Ok(()),
                Some(Err(error)) => Err(error),
                Some(Ok(bytes)) => self.store_snapshot(bytes).await,
            }
        }
    }

    async fn store_snapshot(&mut self, bytes: Vec<u8>) -> Result<(), PersistError> {
        let session = self.session()?;
        let position = session.next - 1;
        session
            .store()
            .save_snapshot(session.key(), Snapshot { position, bytes })
            .await?;
        session.since_snapshot = 0;
        Ok(())
    }

    /// How many events this process's journal holds: the position of the
    /// last one persisted.
    pub fn journal_len(&self) -> u64 {
        self.session
            .as_ref()
            .and_then(|session| session.downcast_ref::<Session>())
            .map_or(0, |session| session.next - 1)
    }

    fn session(&mut self) -> Result<&mut Session, PersistError> {
        let name = self.name().to_owned();
        self.session
            .as_mut()
            .and_then(|session| session.downcast_mut::<Session>())
            .ok_or_else(|| {
                PersistError::Journal(JournalError::unavailable(
                    name,
                    "this instance has no journal open (its start did not recover it)",
                ))
            })
    }
}
