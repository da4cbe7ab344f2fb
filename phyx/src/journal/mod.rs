//! Event-sourced processes: state that outlives crashes, restarts and the
//! OS process, rebuilt from a journal of events (feature `journal`).
//!
//! A process written with `#[process(journal)]` declares how an event
//! changes its state, in an `#[apply]` method, and its handlers persist
//! events with [`Ctx::persist`](crate::Ctx::persist), which appends the
//! event to the process's journal and then applies it. At every start of
//! the process (the first, each restart after a crash, and in a new OS
//! process) its state is the factory's, with the latest snapshot restored
//! and the journal's later events applied in order: what was persisted is
//! never lost.
//!
//! ```
//! use phyx::prelude::*;
//! use phyx::journal::{MemoryJournal, PersistError};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Debug, Serialize, Deserialize)]
//! enum Event {
//!     Deposited(u64),
//!     Withdrew(u64),
//! }
//!
//! #[derive(Default)]
//! struct Account {
//!     balance: u64,
//! }
//!
//! #[process(journal)]
//! impl Account {
//!     #[apply]
//!     fn apply(&mut self, event: Event) {
//!         match event {
//!             Event::Deposited(amount) => self.balance += amount,
//!             Event::Withdrew(amount) => self.balance -= amount,
//!         }
//!     }
//!
//!     #[public]
//!     async fn deposit(&mut self, ctx: &mut Ctx<Self>, amount: u64) -> Result<u64, PersistError> {
//!         ctx.persist(self, Event::Deposited(amount)).await?;
//!         Ok(self.balance)
//!     }
//!
//!     #[public]
//!     fn balance(&self) -> u64 {
//!         self.balance
//!     }
//!
//!     #[public]
//!     fn crash(&self) {
//!         panic!("a bug");
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let system = System::builder().journal(MemoryJournal::new()).build();
//! let account = system.spawn(Account::default);
//! account.deposit(30).await.unwrap().unwrap();
//! account.crash().await.unwrap_err();
//! assert_eq!(account.balance().await.unwrap(), 30); // replayed
//! # system.shutdown().await;
//! # }
//! ```
//!
//! # Journals
//!
//! A process's journal is named after the process
//! ([`SpawnOptions::name`](crate::SpawnOptions::name), by default its
//! type's name), and has one writer: a second process of the same name on
//! the system fails its start, saying so. Events and snapshots are encoded
//! with [postcard](https://docs.rs/postcard); an event that no longer
//! decodes (its type changed) fails the start with an error naming the
//! journal, the position and the type, never skipped.
//!
//! The store is the system's ([`SystemBuilder::journal`](crate::SystemBuilder::journal)):
//! [`MemoryJournal`] for tests, [`FileJournal`] for a machine, or any
//! [`Journal`].
//!
//! # Idempotent methods
//!
//! An `#[idempotent]` method of a `#[process(journal)]` records each
//! reply in a journal of its own, `phyx/idempotent/<process>/<method>`
//! (its key and its reply, postcard, so both must be serde), after the
//! handler returns and before anyone hears the reply; the first start of
//! the process in a system loads those records, after its events. So a
//! caller that got a reply and retries after the OS process restarted
//! gets the same reply, and the handler does not run again.
//!
//! - A record read back counts as seen when it is read (instants do not
//!   cross OS processes): a window is never shortened, and the downtime
//!   lengthens it. Every so many records a snapshot keeps only the
//!   replies still within their window, and loading starts there; the
//!   records since the snapshot are loaded too, so the oldest of those
//!   may count again for a window.
//! - A record that does not encode or that the store refuses is logged
//!   (WARN) and the reply still goes out: this OS process remembers it,
//!   a restarted one would run the handler again. A record that no
//!   longer decodes (its types changed) is passed over with a warning.
//! - The gap: a crash after the handler's last `persist` and before its
//!   record is stored leaves the events and no record, and the retry
//!   runs the handler again. Close it in the handler: carry the key in
//!   the event (`Charged { order, cents }`), remember it in `#[apply]`,
//!   and answer a key the state has seen from the state.
//!
//! # In a cluster
//!
//! A system that joined a cluster (`SystemBuilder::connect`, with the
//! `cluster` feature) and was given no store keeps its journals in the
//! cluster's JetStream: `phyx::cluster::JetStreamJournal`, whose documentation says what
//! is stored where, when an append is durable, and how to look at a
//! journal with the `nats` CLI. A `#[process(remote, journal)]` process
//! registered again on another node (its first node died, say) finds
//! there every event it persisted, and replays them before it serves a
//! call. The one-writer rule then holds across nodes: a node that still
//! runs the process after its name was registered elsewhere (a
//! partition) has its next append refused as a
//! [`JournalError::Conflict`], and its instance ends instead of
//! interleaving its events with the new owner's.

mod codec;
mod error;
// `File::try_lock`, which locks a journal directory, is Rust 1.89's.
#[clippy::msrv = "1.89"]
mod file;
mod memory;
mod session;
mod store;

use serde::Serialize;
use serde::de::DeserializeOwned;

pub(crate) use crate::journal::codec::decode_from;
pub use crate::journal::codec::{decode, encode, events};
pub use crate::journal::error::{JournalError, PersistError};
pub use crate::journal::file::{Durability, FileJournal};
pub use crate::journal::memory::MemoryJournal;
#[doc(hidden)]
pub use crate::journal::session::recover;
pub(crate) use crate::journal::session::{Claim, Journals, RESERVED};
pub use crate::journal::store::{Journal, Snapshot, StoreFuture};

use crate::kernel::process::Process;

/// A process whose state is rebuilt from a journal of events; implemented
/// by `#[process(journal)]` from its `#[apply]`, `#[snapshot]` and
/// `#[restore]` methods.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an event-sourced process",
    label = "not event-sourced",
    note = "write `#[process(journal)]` on the `impl` block of `{Self}`, with an `#[apply]` method: `#[apply] fn apply(&mut self, event: MyEvent)`"
)]
pub trait EventSourced: Process {
    /// What the process persists: the `#[apply]` method's parameter.
    type Event: Serialize + DeserializeOwned + Send + 'static;

    /// What a snapshot holds: the `#[snapshot]` method's return type, `()`
    /// for a process without one.
    type Snapshot: Serialize + DeserializeOwned + Send + 'static;

    /// A snapshot is saved every this many events (`snapshot_every = N`);
    /// `0`, never by itself.
    const SNAPSHOT_EVERY: u64 = 0;

    /// Changes the state by one event: the `#[apply]` method.
    fn apply(&mut self, event: Self::Event);

    /// The state as a snapshot: the `#[snapshot]` method, `None` without
    /// one.
    fn snapshot(&self) -> Option<Self::Snapshot> {
        None
    }

    /// Sets the state from a snapshot: the `#[restore]` method.
    fn restore(&mut self, snapshot: Self::Snapshot) {
        let _ = snapshot;
    }
}
