//! The journals of event-sourced processes on the cluster's JetStream
//! (features `journal` and `cluster`): [`JetStreamJournal`].
//!
//! It lives here, beside the cluster's other streams, and not in
//! `journal/`: it needs the node's connection, subjects and clock, and
//! takes from the journal layer only its leaves (the `Journal` trait and
//! `JournalError`), so each layer imports downwards.
//!
//! One message per append (`batch.rs`); positions are mapped to stream
//! sequences by what the store learns as it goes (`Known`), with a search
//! of the journal's messages when it knows nothing (`read.rs`). Every
//! round trip to the server is bounded by the node's detection time.

mod append;
mod batch;
mod read;
mod snapshot;

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_nats::jetstream::stream::{self, DiscardPolicy, RetentionPolicy, StorageType};
use async_nats::jetstream::{self, context::ContextBuilder};

use crate::clock::Clock;
use crate::cluster::node::Node;
use crate::cluster::subjects::Subjects;
use crate::journal::{Journal, JournalError, Snapshot, StoreFuture};

use self::read::Cursor;

/// How long the server remembers a message id, to drop a second append
/// of the same batch.
const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);

/// The journals of event-sourced processes in the cluster's JetStream:
/// the store a [`System`](crate::System) that joined a cluster uses
/// unless its builder was given another
/// ([`SystemBuilder::journal`](crate::SystemBuilder::journal)). Features
/// `journal` and `cluster`.
///
/// A process's journal then outlives its node: registered again on
/// another node (after the first one died, say), the process finds every
/// event it persisted, and replays them there.
///
/// # What is stored where
///
/// In the namespace `<ns>` of the cluster
/// ([`SystemBuilder::namespace`](crate::SystemBuilder::namespace),
/// `default` unless set), with `<key>` the journal's name with every byte
/// but letters, digits, `-` and `_` written as `=` and two hex digits:
///
/// | what | where |
/// | --- | --- |
/// | the events of journal `<key>` | stream `phyx_<ns>_journal`, subject `phyx.<ns>.j.<key>`: one message per append, headers `Phyx-First` (the position of its first event) and `Phyx-Count`, the payload each event's length (a LEB128 varint) and bytes |
/// | its latest snapshot | stream `phyx_<ns>_snapshots`, subject `phyx.<ns>.snap.<key>`, one message per subject kept: header `Phyx-Position` (the events it includes), the payload the snapshot's bytes |
///
/// Both streams are made on first use: file storage, one replica (more is
/// for a later version), limits retention with no limit, so phyx never
/// removes an event (the events stream discards new messages rather than
/// old ones should someone set a limit). An operator removes a journal
/// with `nats stream purge phyx_<ns>_journal --subject phyx.<ns>.j.<key>`.
///
/// # When an append is durable
///
/// [`append`](Journal::append) resolves once the server acknowledged the
/// message. nats-server writes a message to its files before it
/// acknowledges it, and by default `fsync`s every two minutes
/// (`sync_interval`). So an acknowledged append survives a crash of this
/// node, and a crash or kill of the server process; a crash of the
/// server's machine (power loss, a kernel panic) may lose the last
/// `sync_interval` of appends. A server configured with
/// `jetstream { sync_interval: always }` `fsync`s before it acknowledges,
/// at a cost in throughput.
///
/// An append is one message, so all or none of its events are stored:
/// its events, with their lengths, must fit the server's `max_payload`
/// (1 MiB by default), or nothing is written and the append fails saying
/// so.
///
/// # One writer
///
/// A journal has one writer: the process named after it, wherever it is
/// registered. Each append tells the server the stream sequence of the
/// journal's last message as this writer knows it
/// (`Nats-Expected-Last-Subject-Sequence`), and the server refuses it if
/// another message came since: a writer that still believes it owns the
/// name (on a node cut off from the others, whose name was registered
/// again elsewhere) fails with [`JournalError::Conflict`] and never
/// interleaves its events with the new owner's. A conflict means the
/// process's state is stale: its instance ends, and wherever it runs next,
/// it rebuilds its state from the journal.
///
/// An append of exactly the events the journal already ends with, at
/// those positions (a retry, after an append whose fate was unknown),
/// succeeds without writing them twice; each append also carries a
/// message id (`Nats-Msg-Id: <key>:<first>`), by which the server drops
/// a copy within two minutes.
///
/// # Inspecting a journal
///
/// With the [`nats` CLI](https://github.com/nats-io/natscli) pointed at the
/// cluster's server:
///
/// ```text
/// nats stream info phyx_default_journal                       # every journal: messages, bytes
/// nats stream subjects phyx_default_journal                   # the journals, and messages each
/// nats stream view phyx_default_journal --subject phyx.default.j.account-7
/// nats stream get phyx_default_snapshots --last-for phyx.default.snap.account-7
/// ```
///
/// # Timeouts
///
/// Every round trip to the server is bounded by the cluster's detection
/// time ([`SystemBuilder::detection`](crate::SystemBuilder::detection), 3 s
/// unless set): a server that does not answer fails the call with
/// [`JournalError::Unavailable`], never a hang.
///
/// # Examples
///
/// Every system that joins a cluster has it; [`System::jetstream_journal`](crate::System::jetstream_journal)
/// gives a writer of one's own, to read a journal directly:
///
/// ```no_run
/// use phyx::System;
/// use phyx::journal::Journal;
///
/// # #[tokio::main]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let system = System::builder().node("audit-1").cluster("nats://127.0.0.1:4222").connect().await?;
/// let journals = system.jetstream_journal().expect("the system joined a cluster");
/// let events = journals.read("account-7", 1, 100).await?;
/// println!("the first {} events of account-7", events.len());
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct JetStreamJournal {
    inner: Arc<Inner>,
}

struct Inner {
    js: jetstream::Context,
    subjects: Subjects,
    clock: Arc<dyn Clock>,
    /// The bound of every round trip: the node's detection time.
    timeout: Duration,
    /// The largest message the server takes.
    max_payload: usize,
    /// The streams, once made (`None` again if the server lost one).
    events: Mutex<Option<jetstream::stream::Stream<()>>>,
    snapshots: Mutex<Option<jetstream::stream::Stream<()>>>,
    /// What this writer learned of each journal.
    known: Mutex<HashMap<String, Known>>,
}

/// What a writer knows of one journal: hints, each checked before it is
/// relied on (the server has the last word).
#[derive(Default)]
struct Known {
    /// Where the journal ended when this writer last looked.
    end: Option<End>,
    /// Where a read from some position on may start.
    resume: Option<Resume>,
    /// A read in progress, to go on with.
    cursor: Option<Cursor>,
}

/// A journal's length, and the stream sequence of its last message (0 for
/// a journal without one): the next append expects that message last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct End {
    len: u64,
    last: u64,
}

impl End {
    const EMPTY: End = End { len: 0, last: 0 };
}

/// Every message holding an event at `position` or later has a stream
/// sequence of `seq` or more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Resume {
    position: u64,
    seq: u64,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl JetStreamJournal {
    /// A writer over `node`'s connection.
    pub(crate) fn new(node: &Node) -> Self {
        Self {
            inner: Arc::new(Inner {
                js: ContextBuilder::new().timeout(node.detection).build(node.client.clone()),
                subjects: node.subjects.clone(),
                clock: node.clock.clone(),
                timeout: node.detection,
                max_payload: node.max_payload,
                events: Mutex::new(None),
                snapshots: Mutex::new(None),
                known: Mutex::new(HashMap::new()),
            }),
        }
    }
}

impl Journal for JetStreamJournal {
    fn append<'a>(&'a self, key: &'a str, first: u64, events: Vec<Vec<u8>>) -> StoreFuture<'a, ()> {
        Box::pin(self.inner.append(key, first, events))
    }

    fn read<'a>(&'a self, key: &'a str, from: u64, max: usize) -> StoreFuture<'a, Vec<Vec<u8>>> {
        Box::pin(self.inner.read(key, from, max))
    }

    fn save_snapshot<'a>(&'a self, key: &'a str, snapshot: Snapshot) -> StoreFuture<'a, ()> {
        Box::pin(self.inner.save_snapshot(key, snapshot))
    }

    fn load_snapshot<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Snapshot>> {
        Box::pin(self.inner.load_snapshot(key))
    }
}

impl std::fmt::Debug for JetStreamJournal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JetStreamJournal")
            .field("stream", &self.inner.subjects.journal_stream())
            .finish_non_exhaustive()
    }
}

/// Which of the two streams.
#[derive(Clone, Copy)]
enum Kept {
    Events,
    Snapshots,
}

impl Inner {
    /// `work`, or [`JournalError::Unavailable`] once the server took longer
    /// than the timeout to do it (`doing` says what it was).
    async fn bounded<T>(&self, key: &str, doing: &str, work: impl Future<Output = T>) -> Result<T, JournalError> {
        self.within(work).await.ok_or_else(|| self.timed_out(key, doing))
    }

    /// `work`, or `None` once the server took longer than the timeout.
    async fn within<T>(&self, work: impl Future<Output = T>) -> Option<T> {
        tokio::select! {
            done = work => Some(done),
            () = self.clock.sleep(self.timeout) => None,
        }
    }

    /// The server did not answer in time, while `doing`.
    fn timed_out(&self, key: &str, doing: &str) -> JournalError {
        JournalError::unavailable(
            key,
            format!(
                "the NATS server did not answer within {:?} ({doing}); check that it runs, with JetStream on \
                 (`nats-server -js`), and that this node reaches it",
                self.timeout
            ),
        )
    }

    /// The stream `kept`, made on first use.
    async fn stream(&self, key: &str, kept: Kept) -> Result<jetstream::stream::Stream<()>, JournalError> {
        let slot = match kept {
            Kept::Events => &self.events,
            Kept::Snapshots => &self.snapshots,
        };
        if let Some(stream) = lock(slot).clone() {
            return Ok(stream);
        }
        let config = match kept {
            Kept::Events => stream::Config {
                name: self.subjects.journal_stream(),
                subjects: vec![self.subjects.journals()],
                // Nothing is ever removed: should someone set a limit, new
                // appends fail rather than old events go.
                discard: DiscardPolicy::New,
                duplicate_window: DUPLICATE_WINDOW,
                ..Self::kept_config()
            },
            Kept::Snapshots => stream::Config {
                name: self.subjects.snapshot_stream(),
                subjects: vec![self.subjects.snapshots()],
                // A journal's latest snapshot replaces the one before.
                max_messages_per_subject: 1,
                ..Self::kept_config()
            },
        };
        let name = config.name.clone();
        self.bounded(
            key,
            "opening the journal's stream",
            self.js.get_or_create_stream(config),
        )
        .await?
        .map_err(|error| {
            JournalError::unavailable(
                key,
                format!(
                    "could not open the JetStream stream `{name}` ({error}); the server needs JetStream on \
                         (`nats-server -js`) with room to store files"
                ),
            )
        })?;
        let stream = self
            .js
            .get_stream_no_info(&name)
            .await
            .map_err(|error| JournalError::unavailable(key, format!("stream `{name}`: {error}")))?;
        *lock(slot) = Some(stream.clone());
        Ok(stream)
    }

    /// What both streams share: on disk, kept until someone removes it.
    fn kept_config() -> stream::Config {
        stream::Config {
            retention: RetentionPolicy::Limits,
            storage: StorageType::File,
            num_replicas: 1,
            ..Default::default()
        }
    }

    /// Forgets stream `kept`: the server lost it, and the next call makes
    /// it again.
    fn lost(&self, kept: Kept) {
        let slot = match kept {
            Kept::Events => &self.events,
            Kept::Snapshots => &self.snapshots,
        };
        *lock(slot) = None;
    }

    /// Reads or changes what is known of journal `key`.
    fn known<R>(&self, key: &str, change: impl FnOnce(&mut Known) -> R) -> R {
        let mut known = lock(&self.known);
        // The key is copied once, the first time.
        match known.get_mut(key) {
            Some(journal) => change(journal),
            None => change(known.entry(key.to_owned()).or_default()),
        }
    }

    fn set_end(&self, key: &str, end: End) {
        self.known(key, |known| known.end = Some(end));
    }
}
