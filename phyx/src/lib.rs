//! Actors that look like ordinary code.
//!
//! Write a plain struct and a plain `impl` block; `#[process]` and
//! `#[public]` turn it into an isolated process with a bounded mailbox and
//! a typed handle whose methods mirror the `impl`'s:
//!
//! ```
//! use phyx::prelude::*;
//! use std::time::Duration;
//!
//! #[derive(Default)]
//! pub struct Counter { count: u64 }
//!
//! #[process]
//! impl Counter {
//!     /// Adds `by` to the count.
//!     #[public]
//!     pub fn increment(&mut self, by: u64) { self.count += by; }
//!
//!     #[public]
//!     pub fn get(&self) -> u64 { self.count }
//!
//!     #[public]
//!     pub async fn slow_get(&self, ctx: &mut Ctx<Self>, d: Duration) -> u64 {
//!         ctx.sleep(d).await;
//!         self.count
//!     }
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), phyx::CallError> {
//!     let system = System::new();
//!     let counter: CounterRef = system.spawn(Counter::default);
//!     counter.increment(2).send()?;                         // tell
//!     counter.increment(3).await?;                          // ask
//!     let n = counter.get().timeout(Duration::from_millis(100)).await?;
//!     assert_eq!(n, 5);
//!     system.shutdown().await;
//!     Ok(())
//! }
//! ```
//!
//! A panic in a handler crashes only its process: the caller gets
//! [`CallError::Panicked`], the process restarts with state fresh from its
//! factory, messages queued behind the crash are handled by the new
//! instance, and the handle keeps working.
//!
//! Supervisors ([`macro@supervisor`]) restart groups of children by a
//! [`Strategy`], under a restart intensity past which the failure
//! escalates; pools ([`System::pool`]) put several instances behind one
//! handle. Every timer reads the system's [`Clock`]; `phyx-testkit` drives
//! it virtually.
//!
//! # Features
//!
//! - `metrics`: counters, gauges and histograms through the
//!   [`metrics`](https://docs.rs/metrics) facade (messages handled and
//!   handler time per process and method, mailbox depth, restarts, panics,
//!   breaker transitions, rate-limit refusals, drops and rejections). Off,
//!   none of it is compiled.
//! - `cluster`: processes on other OS processes and machines, through a
//!   NATS server: `#[process(remote)]`, `SystemBuilder::connect`,
//!   cluster-wide names (see `phyx::cluster`). Off, no NATS client and no
//!   serde is compiled.
//! - `isolated` (Unix; implies `cluster`): processes in OS processes of
//!   their own, where a segfault, an abort, a stack overflow or an
//!   out-of-memory crashes that process only (see `phyx::isolated`).
//! - `test-util`: `phyx::testing`, the hooks of test kits such as
//!   `phyx-testkit`.
//!
//! # The macros
//!
//! - [`#[process]`](macro@process) on an inherent `impl` block of `T`
//!   generates `TMsg` (the messages) and `TRef` (the handle). Options set
//!   the process's defaults: `#[process(mailbox = 64, overflow =
//!   drop_oldest, restart = permanent, backoff(initial = "100ms", max =
//!   "10s", factor = 2.0, jitter = 0.1), max_restarts = 5, within = "30s",
//!   shutdown = "5s")]`, and `crate = path` for crates that re-export phyx.
//! - [`#[public]`](macro@public) marks the methods the handle exposes: `fn`
//!   or `async fn`, `&self` or `&mut self`, arguments by value, and
//!   optionally one `ctx: &mut Ctx<Self>` parameter anywhere in the list.
//! - [`#[on_start]`](macro@on_start) marks the start hook, run before the
//!   first message of every instance: `fn` or `async fn`, `&self` or `&mut self`,
//!   optionally `ctx`, returning `()` or `Result<(), E: Display>`. An `Err`
//!   or a panic is a crash.
//! - [`#[supervisor]`](macro@supervisor) and [`#[child]`](macro@child)
//!   declare a supervisor and the children it builds, in start order.
//! - [`#[on_stop]`](macro@on_stop) marks the stop hook, run when an
//!   instance ends after a successful start: `&self` or `&mut self`, optionally `ctx`,
//!   and a [`StopReason`] by value.
//! - [`#[on_down]`](macro@on_down) marks the down hook, run when a process
//!   this one watches ([`Ctx::watch`]) stops for good: `&self` or `&mut
//!   self`, optionally `ctx`, and a [`Down`] by value.
//! - [`#[health_check]`](macro@health_check) marks the method that says
//!   how the process is, for [`System::health`]: `&self`, optionally
//!   `ctx`, returning a [`Health`](health::Health).
//! - [`#[circuit_breaker]`](macro@circuit_breaker) and
//!   [`#[rate_limit]`](macro@rate_limit) guard a `#[public]` method at the
//!   caller; [`#[compensate(undo)]`](macro@compensate) names the method
//!   that undoes it when a later step of a [`Saga`](saga::Saga) fails.
//! - [`#[idempotent(key = arg, window = "10m")]`](macro@idempotent) gives
//!   a call whose key was seen within the window the first call's reply,
//!   without running the handler again.
//! - [`#[trace]`](macro@trace) on a `#[public]` method (or
//!   `#[process(trace)]` on the impl) makes its handler's span continue
//!   its caller's trace, across processes and nodes ([`mod@trace`]).
//!
//! # Defaults
//!
//! | setting | default | set with |
//! | --- | --- | --- |
//! | mailbox capacity | [`SpawnOptions::DEFAULT_MAILBOX_CAPACITY`] (1024) | `mailbox = N`, [`SpawnOptions::mailbox`] |
//! | overflow | [`Overflow::Backpressure`] | `overflow = ...`, [`SpawnOptions::overflow`] |
//! | restart | [`Restart::Transient`]: after a crash, not a normal stop | `restart = ...`, [`SpawnOptions::restart`] |
//! | backoff | 100 ms doubling to 10 s, no jitter | `backoff(...)`, [`SpawnOptions::backoff`] |
//! | restart limit | [`SpawnOptions::DEFAULT_MAX_RESTARTS`]: 5 within 30 s | `max_restarts`, `within`, [`SpawnOptions::max_restarts`] |
//! | shutdown timeout | [`SpawnOptions::DEFAULT_SHUTDOWN_TIMEOUT`] (5 s) | `shutdown = "..."`, [`SpawnOptions::shutdown_timeout`] |
//! | saga: attempts per compensation | [`Saga::DEFAULT_ATTEMPTS`](saga::Saga::DEFAULT_ATTEMPTS) (5), 100 ms doubling to 10 s between them | [`Saga::attempts`](saga::Saga::attempts), [`Saga::backoff`](saga::Saga::backoff) |
//! | saga: one compensation attempt | [`Saga::DEFAULT_ATTEMPT_TIMEOUT`](saga::Saga::DEFAULT_ATTEMPT_TIMEOUT) (5 s) | [`Saga::attempt_timeout`](saga::Saga::attempt_timeout) |
//! | saga: late reply of a timed-out step | [`Saga::DEFAULT_LATE_REPLY_TIMEOUT`](saga::Saga::DEFAULT_LATE_REPLY_TIMEOUT) (5 s) | [`Saga::late_reply_timeout`](saga::Saga::late_reply_timeout) |
#![warn(missing_docs)]

mod cache;
mod call;
mod clock;
#[cfg(feature = "cluster")]
// The feature needs Rust 1.89 (async-nats's), above the crate's minimum.
#[clippy::msrv = "1.89"]
pub mod cluster;
mod error;
pub mod event;
mod fault;
pub mod health;
mod id;
mod idempotent;
#[cfg(all(feature = "isolated", unix))]
#[clippy::msrv = "1.89"]
pub mod isolated;
#[cfg(all(feature = "isolated", not(unix)))]
compile_error!(
    "phyx's `isolated` feature runs processes in child OS processes with Unix facilities (rlimits, signals): it is for Unix only"
);
#[cfg(feature = "journal")]
pub mod journal;
mod kernel;
mod mailbox;
mod meter;
mod options;
mod panic;
pub mod pool;
mod registry;
mod resilience;
mod rng;
pub mod saga;
mod supervisor;
mod system;
pub mod trace;

pub use crate::call::{Ask, Call, Flatten, Timer};
pub use crate::clock::{Clock, Sleep, TokioClock};
pub use crate::error::{CallError, ChildError, Failed, LookupError, RegisterError, SendError};
pub use crate::event::StopReason;
pub use crate::id::{Envelope, ProcessId};
pub use crate::kernel::ctx::Ctx;
pub use crate::kernel::current::hide_caught_panics;
pub use crate::kernel::later::Reply;
pub use crate::kernel::process::PoolStatus;
pub use crate::kernel::process::{Handle, Message, Process, Status};
pub use crate::kernel::view::{ProcessInfo, ProcessKind};
pub use crate::kernel::watch::{Down, Watcher};
pub use crate::mailbox::Overflow;
pub use crate::options::{Backoff, Restart, RestartLimit, SpawnOptions};
pub use crate::supervisor::{Strategy, Supervisor};
pub use crate::system::{System, SystemBuilder};

/// Makes the type of an inherent `impl` block a process.
///
/// For a type `T`, generates `TMsg` (one variant per `#[public]` method)
/// and `TRef`, the handle returned by [`System::spawn`]: one method per
/// `#[public]` method, same name, same arguments, returning a [`Call`].
/// `TRef` and `TMsg` can be named as far as the most visible `#[public]`
/// method reaches; the type itself may be more visible (a `pub struct`
/// with private methods is fine), and `<T as Process>::Ref` names the
/// handle wherever `T` is visible.
///
/// Type parameters of a generic process must be `Send + 'static`; the
/// macro adds those bounds to what it generates. A process whose `async
/// fn` handlers take `&self` holds `&Self` across `.await`, so the type
/// must also be `Sync` (add `Sync` to type parameters that need it).
///
/// # Options
///
/// All optional; [`SpawnOptions`] passed to [`System::spawn_with`] win
/// over them. Durations are string literals such as `"250ms"`, `"5s"`,
/// `"2m"`, `"1h"` or `"1m30s"`, checked at compile time.
///
/// | option | meaning |
/// | --- | --- |
/// | `mailbox = 64` | mailbox capacity ([`SpawnOptions::DEFAULT_MAILBOX_CAPACITY`] by default) |
/// | `overflow = reject \| drop_oldest \| backpressure` | [`Overflow`] policy |
/// | `restart = permanent \| transient \| temporary` | [`Restart`] type |
/// | `backoff(initial = "100ms", max = "10s", factor = 2.0, jitter = 0.1)` | [`Backoff`]; `max`, `factor` and `jitter` optional; `backoff(initial = "0ms")` restarts at once, every time ([`Backoff::none`]) |
/// | `max_restarts = 5, within = "30s"` | restart limit ([`SpawnOptions::DEFAULT_MAX_RESTARTS`]) |
/// | `shutdown = "5s"` | shutdown timeout ([`SpawnOptions::DEFAULT_SHUTDOWN_TIMEOUT`]) |
/// | `name = "cache"` | process name in events and errors (default: the type's name) |
/// | `remote` | other nodes of a cluster can call it (feature `cluster`), and it can run in an OS process of its own (feature `isolated`, `System::spawn_isolated`): its arguments and replies must be `Serialize + DeserializeOwned`, and type parameters they carry bounded by `phyx::cluster::Wire` |
/// | `durable` | with `remote`: its tells go through a JetStream stream and are handled at least once, surviving the crash of the node that serves it; methods may take an [`Envelope`] with each durable tell's message id |
/// | `trace` | every `#[public]` method is traced, as if each had [`#[trace]`](macro@trace): its handler's span continues its caller's trace ([`mod@trace`]) |
/// | `crate = ::my_crate::phyx` | path to phyx, for crates that re-export it |
///
/// # Examples
///
/// ```
/// use phyx::prelude::*;
/// use std::collections::HashMap;
///
/// #[derive(Default)]
/// pub struct Cache {
///     entries: HashMap<String, String>,
/// }
///
/// #[process(mailbox = 256, overflow = drop_oldest, max_restarts = 10, within = "1m")]
/// impl Cache {
///     /// Stores `value` under `key`, returning what was there.
///     #[public]
///     pub fn put(&mut self, key: String, value: String) -> Option<String> {
///         self.entries.insert(key, value)
///     }
///
///     #[public]
///     pub fn get(&self, key: String) -> Option<String> {
///         self.entries.get(&key).cloned()
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), phyx::CallError> {
/// let system = System::new();
/// let cache: CacheRef = system.spawn(Cache::default);
/// cache.put("k".into(), "v".into()).await?;
/// assert_eq!(cache.get("k".into()).await?, Some("v".into()));
/// # system.shutdown().await;
/// # Ok(())
/// # }
/// ```
pub use phyx_macros::process;

/// Marks a method of a `#[process]` impl as reachable through the handle.
///
/// The method may be `fn` or `async fn` and take `&self` or `&mut self`.
/// Its arguments travel in a message, so they are owned (`String`, not
/// `&str`) and `Send`; so is its return type, which the caller receives
/// from the [`Call`]. A `Result` return is a reply like any other: an `Err`
/// reaches the caller as `Ok(Err(..))` (or, through [`Call::flatten`], as
/// [`Failed::Handler`]) and does not crash the process. One
/// parameter may be the context, `ctx: &mut Ctx<Self>`, anywhere in the
/// list; callers do not pass it. Doc comments carry over to the handle.
///
/// A method can reply later instead of returning its reply: it takes a
/// parameter of type [`Reply<R>`](Reply), anywhere in the list (callers do
/// not pass it either), returns nothing, and sends `R` through the `Reply`
/// from wherever it hands it (a task, another process). Its handle method
/// returns `Call<R, _>` all the same. At most one `Reply` per method, and
/// none on hooks.
///
/// A method can also take an [`Envelope`], anywhere in the list (callers do
/// not pass it): how its message came. A durable tell's has a message id,
/// unique across the cluster, and its attempt; every other message's has
/// no id. At most one `Envelope` per method.
///
/// Methods without `#[public]` stay private to the process. Outside a
/// `#[process]` impl, `#[public]` is a compile error.
pub use phyx_macros::public;

/// Traces a `#[public]` method: its handler's span continues its caller's
/// trace, on this node and across nodes ([`mod@trace`] says how).
///
/// A call of the method carries, from where it is made, the caller's
/// [`trace::current`] context and its `tracing` span. The handler runs in
/// an INFO `phyx.handle` span whose parent is the caller's span, with
/// `trace_id`, `span_id` and `parent_span_id` fields (W3C hex), and
/// while it runs (across `.await`s), [`trace::current`] is its context,
/// so the traced calls it makes continue the trace. A call made outside
/// any trace starts one. To a `#[process(remote)]` process the context
/// travels as a W3C `traceparent` header.
///
/// `#[trace]` takes no options. `#[process(trace)]` traces every
/// `#[public]` method of the impl instead (a `#[trace]` there is an
/// error: it would add nothing). Methods without it pay nothing: their
/// calls carry no trace and their spans stay as they were (DEBUG, the
/// caller's span not their parent). Inside a `#[process]` impl it needs
/// no import; it is not in the prelude, where it would clash with
/// `tracing::trace!`.
///
/// ```
/// use phyx::prelude::*;
///
/// struct Payments;
///
/// #[process]
/// impl Payments {
///     #[public]
///     #[trace]
///     async fn charge(&self, cents: u64) -> Result<u64, String> {
///         let trace = phyx::trace::current().expect("a traced handler has a context");
///         tracing::info!(trace_id = %format!("{:032x}", trace.trace_id()), cents, "charged");
///         Ok(cents)
///     }
/// }
/// ```
pub use phyx_macros::trace;

/// Marks the start hook of a `#[process]` impl.
///
/// Runs before the first message of every instance (the first start and
/// each restart): `fn` or `async fn`, taking `&self` or `&mut self` and optionally
/// `ctx: &mut Ctx<Self>`, returning `()` or `Result<(), E>` with
/// `E: Display`. An `Err` or a panic is a crash: the process restarts by
/// its policy, and messages sent meanwhile wait in the mailbox.
///
/// ```
/// use phyx::prelude::*;
///
/// struct Connection { open: bool }
///
/// #[process]
/// impl Connection {
///     #[on_start]
///     async fn connect(&mut self) -> Result<(), String> {
///         self.open = true;
///         Ok(())
///     }
///
///     #[public]
///     fn is_open(&self) -> bool { self.open }
/// }
/// ```
pub use phyx_macros::on_start;

/// Marks the stop hook of a `#[process]` impl.
///
/// Runs when an instance that started ends, for whatever reason, after its
/// children have stopped: `fn` or `async fn`, taking `&self` or `&mut self`,
/// optionally `ctx: &mut Ctx<Self>` and optionally `reason: StopReason`.
/// It gets the process's shutdown timeout to finish.
///
/// ```
/// use phyx::prelude::*;
/// use phyx::StopReason;
///
/// struct Session;
///
/// #[process]
/// impl Session {
///     #[on_stop]
///     fn close(&mut self, reason: StopReason) {
///         println!("session closed: {reason}");
///     }
///
///     #[public]
///     fn ping(&self) {}
/// }
/// ```
pub use phyx_macros::on_stop;

/// Marks the down hook of a `#[process]` impl: it runs when a process this
/// one watches ([`Ctx::watch`]) stops for good.
///
/// `fn` or `async fn`, taking `&self` or `&mut self`, optionally
/// `ctx: &mut Ctx<Self>`, and a [`Down`] by value; it returns nothing. It
/// runs as a message of the watcher, in its mailbox order, isolated like a
/// handler: a panic in it is a crash of the watcher, which restarts by its
/// policy. One hook hears every watched process; `down.id()` and
/// `down.name()` tell them apart. A process without this hook cannot call
/// [`Ctx::watch`] (a compile error).
///
/// ```
/// use phyx::prelude::*;
///
/// #[derive(Default)]
/// struct Registry { peers: Vec<phyx::ProcessId> }
///
/// #[process]
/// impl Registry {
///     #[on_down]
///     async fn peer_down(&mut self, ctx: &mut Ctx<Self>, down: Down) {
///         self.peers.retain(|peer| *peer != down.id());
///         ctx.emit(down);
///     }
///
///     #[public]
///     fn peers(&self) -> usize { self.peers.len() }
/// }
/// ```
pub use phyx_macros::on_down;

/// Marks the health check of a `#[process]` impl: what
/// [`System::health`] asks the process, through its mailbox.
///
/// `fn` or `async fn`, taking `&self` and optionally `ctx: &mut Ctx<Self>`,
/// returning a [`Health`](health::Health): healthy, or degraded or
/// unhealthy with why. At most one per process. It runs as a message of
/// the process, so a process stuck in a handler does not answer, and is
/// reported unhealthy once the report's timeout passes; a panic in it is a
/// crash of the process, as in any handler. It gets no method on the
/// handle. A supervisor has none: its health is its children's. See
/// [`health`] for what the report says of each process.
///
/// ```
/// use phyx::prelude::*;
/// use std::time::Duration;
///
/// struct Upstream { failures: u32 }
///
/// #[process]
/// impl Upstream {
///     #[health_check]
///     async fn health(&self, ctx: &mut Ctx<Self>) -> Health {
///         ctx.sleep(Duration::from_millis(1)).await; // a check may wait, within the report's timeout
///         match self.failures {
///             0 => Health::healthy(),
///             1..=3 => Health::degraded(format!("{} failed requests", self.failures)),
///             n => Health::unhealthy(format!("{n} failed requests in a row")),
///         }
///     }
/// }
/// ```
pub use phyx_macros::health_check;

/// Marks how an event changes the state of an event-sourced process, a
/// `#[process(journal)]` (`phyx::journal`, feature
/// `journal`).
///
/// A plain `fn` taking `&mut self` and the event, by value or as
/// `&Event`, returning nothing; one per process. The event type is
/// `Serialize + DeserializeOwned` (serde). It runs for every event
/// `Ctx::persist` persists, right after the event is durable, and for
/// every event of the journal when an instance starts: keep it to changing
/// the state (no calls, no I/O), or a replay would do them again. A panic
/// in it is a crash, and the next start replays that event again: fix the
/// bug, the journal is right.
///
/// ```
/// # #[cfg(feature = "journal")] {
/// use phyx::prelude::*;
///
/// #[derive(serde::Serialize, serde::Deserialize)]
/// enum Event { Added(u64) }
///
/// #[derive(Default)]
/// struct Tally { total: u64 }
///
/// #[process(journal)]
/// impl Tally {
///     #[apply]
///     fn apply(&mut self, event: &Event) {
///         match event { Event::Added(n) => self.total += n }
///     }
///
///     #[public]
///     async fn add(&mut self, ctx: &mut Ctx<Self>, n: u64) -> Result<u64, phyx::journal::PersistError> {
///         ctx.persist(self, Event::Added(n)).await?;
///         Ok(self.total)
///     }
/// }
/// # }
/// ```
pub use phyx_macros::apply;

/// Marks the method that makes an event-sourced process's snapshot: `fn
/// snapshot(&self) -> MySnapshot`, with a `#[restore]` method taking that
/// type back. The snapshot type is `Serialize + DeserializeOwned`.
///
/// A start restores the latest snapshot, then replays only the events
/// after it. Snapshots are saved every `N` events with
/// `#[process(journal, snapshot_every = N)]`, or when a handler calls
/// `Ctx::save_snapshot`. A snapshot that no longer decodes (its type
/// changed) is passed over, with a warning, for a replay of every event.
///
/// ```
/// # #[cfg(feature = "journal")] {
/// use phyx::prelude::*;
///
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct Added(u64);
///
/// #[derive(Default)]
/// struct Tally { total: u64, unrelated_cache: Vec<u8> }
///
/// #[process(journal, snapshot_every = 1000)]
/// impl Tally {
///     #[apply]
///     fn apply(&mut self, Added(n): Added) { self.total += n; }
///
///     #[snapshot]
///     fn snapshot(&self) -> u64 { self.total }
///
///     #[restore]
///     fn restore(&mut self, total: u64) { self.total = total; }
///
///     #[public]
///     fn total(&self) -> u64 { self.total }
/// }
/// # }
/// ```
pub use phyx_macros::snapshot;

/// Marks the method that sets an event-sourced process's state from its
/// snapshot: `fn restore(&mut self, snapshot: MySnapshot)`, the type a
/// `#[snapshot]` method returns. It runs on the state the factory built,
/// before the events after the snapshot are replayed.
pub use phyx_macros::restore;

/// Makes the type of an inherent `impl` block a supervisor: its `#[child]`
/// methods build its children, started in order when it starts.
///
/// `system.spawn(|| Shop)` starts it like any process; its handle
/// (`ShopRef`) has one accessor per child, named after the method,
/// returning that child's handle. A child's handle stays valid across every
/// restart of the child, including restarts its siblings cause. The type
/// needs no derive: it is a plain struct (it must be `Send`, as any
/// process). Each `#[child]` method is called on the supervisor's current
/// state, in the supervisor's own task, whenever the supervisor starts or
/// restarts that child, for fresh state (before the child's backoff).
///
/// | option | meaning |
/// | --- | --- |
/// | `strategy = one_for_one \| one_for_all \| rest_for_one` | [`Strategy`]; `one_for_one` by default |
/// | `max_restarts = 3, within = "5s"` | restart intensity ([`Strategy::DEFAULT_INTENSITY`]): more restarts than this within the window and the supervisor stops its children and fails, escalating to its parent; at the root, the subtree stops |
/// | `name = "shop"`, `crate = path` | as for `#[process]` |
///
/// `#[child(...)]` takes the options of `#[process(...)]` (`restart`,
/// `backoff(...)`, `shutdown`, `mailbox`, `overflow`, `max_restarts` and
/// `within` for the backoff's reset window, `name`); a child is
/// [`Restart::Permanent`] unless it says otherwise, and is named after
/// its method.
///
/// **Siblings.** A `#[child]` method may take, after `&self`, the handles
/// of children declared before it, by handle type: `fn cache(&self,
/// fetcher: FetcherRef) -> Cache` gets the handle of the earlier child
/// that returns a `Fetcher` (`FetcherRef` and `<Fetcher as
/// Process>::Ref` both name it). The handle stays valid across every
/// restart of either child. Among several earlier children of one type,
/// the parameter is named after the one it takes (`backup: FetcherRef`).
/// A later sibling, the child's own handle, or a type that is no earlier
/// child's handle is a compile error on the parameter.
///
/// **Dynamic children.** Every supervisor's handle also implements
/// [`Supervisor`]: `start_child(factory)` starts a child at run time,
/// restarted alone by its own options under the supervisor's intensity.
/// A supervisor may have no `#[child]` at all (`#[supervisor] impl Server
/// {}`): a supervisor of dynamic children only.
///
/// ```
/// use phyx::prelude::*;
///
/// #[derive(Default)]
/// struct Inventory { items: u32 }
///
/// #[process]
/// impl Inventory {
///     #[public]
///     fn add(&mut self, n: u32) -> u32 { self.items += n; self.items }
/// }
///
/// struct Till { inventory: InventoryRef }
///
/// #[process]
/// impl Till {
///     #[public]
///     async fn sell(&self) -> Result<u32, CallError> { self.inventory.add(1).await }
/// }
///
/// struct Shop;
///
/// #[supervisor(strategy = one_for_all, max_restarts = 3, within = "5s")]
/// impl Shop {
///     #[child(backoff(initial = "1s"))]
///     fn inventory(&self) -> Inventory { Inventory::default() }
///
///     #[child]
///     fn till(&self, inventory: InventoryRef) -> Till { Till { inventory } }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let system = System::new();
/// let shop = system.spawn(|| Shop);
/// assert_eq!(shop.inventory().add(2).await.unwrap(), 2);
/// assert_eq!(shop.till().sell().await.unwrap(), Ok(3));
/// # system.shutdown().await;
/// # }
/// ```
pub use phyx_macros::supervisor;

/// Marks a method of a `#[supervisor]` impl that builds a child; see
/// [`macro@supervisor`].
pub use phyx_macros::child;

/// A circuit breaker on a `#[public]` method:
/// `#[circuit_breaker(failures = 5, cooldown = "30s", trials = 1)]` (the
/// defaults).
///
/// A failure is a reply of `Err` (for a method returning `Result`), a
/// panic, or a timeout of the ask; any other reply is a success. The
/// breaker is per method and per process, shared by every clone of the
/// handle, and survives restarts. It is checked at the caller, after the
/// rate limit:
///
/// - closed: calls pass; `failures` failures in a row open it;
/// - open: calls fail at once with [`CallError::CircuitOpen`] (carrying
///   when to retry), without entering the mailbox, until `cooldown` has
///   passed on the system's clock;
/// - half-open: the next `trials` asks pass as trials (others fail fast
///   with a zero `retry_after`); a failure reopens it, `trials` successes
///   close it.
///
/// Results of calls let through before a transition are ignored. Asks
/// feed the breaker; tells are refused while it is open but report no
/// result (their caller does not see it). Every transition is an
/// [`EventKind::Circuit`](event::EventKind::Circuit).
///
/// ```
/// use phyx::prelude::*;
///
/// struct Payments;
///
/// #[process]
/// impl Payments {
///     #[public]
///     #[circuit_breaker(failures = 3, cooldown = "10s")]
///     fn charge(&mut self, cents: u64) -> Result<String, String> {
///         Err(format!("gateway down, {cents} not charged"))
///     }
/// }
/// ```
pub use phyx_macros::circuit_breaker;

/// A rate limit on a `#[public]` method, built on `governor`:
/// `#[rate_limit(per_second = 100, burst = 10)]` (or `per_minute`).
///
/// `burst` (default: the quota) calls may pass at once; the quota then
/// refills one call every `1/per_second` seconds of the system's clock,
/// so virtual time drives it in tests. Over the quota a call fails at the
/// caller with [`CallError::RateLimited`] carrying when to retry, without
/// entering the mailbox; with `wait` it waits instead, on the system's
/// clock, at the caller (the process keeps handling other messages).
/// `key = arg` keeps one quota per value of the argument `arg` (which must
/// be `Hash`); quotas of keys that are full again are forgotten past 10,000
/// keys. Checked before the circuit breaker.
///
/// ```
/// use phyx::prelude::*;
///
/// struct Api;
///
/// #[process]
/// impl Api {
///     #[public]
///     #[rate_limit(per_minute = 60, burst = 5, key = user)]
///     fn search(&self, user: String, query: String) -> Vec<String> {
///         vec![format!("{user}: {query}")]
///     }
/// }
/// ```
pub use phyx_macros::rate_limit;

/// Makes a `#[public]` method idempotent:
/// `#[idempotent(key = order_id, window = "10m")]`. A call whose key (the
/// value of the argument `order_id`) was seen within the window gets the
/// first call's reply, a clone of it, and the handler does not run again:
/// no second side effect.
///
/// - **What duplicates get.** The first call's reply, whatever it is: an
///   `Err` reply too, so a caller that retries on `Err` gets the same
///   `Err` until the window ends (reply `Err` for what a retry would not
///   change). The window starts when the first call replies, on
///   the system's clock (virtual under `phyx-testkit`); a call with the
///   key at or after its end runs the handler again. A tell is
///   deduplicated as an ask is (a tell with a key seen is not handled,
///   and an ask after a first tell gets its reply).
/// - **Duplicates racing the first.** A process handles one message at a
///   time, so a duplicate sent while the first runs waits in the mailbox
///   and then finds its reply. A handler that replies later
///   ([`Reply<R>`](Reply)) may still owe its reply when the duplicate is
///   handled: the duplicate's caller then waits for that reply, without
///   running the handler, and gets a clone of it.
/// - **Crashes.** The table lives with the process, not in its state: it
///   survives restarts. If the first call's handler panics, its caller
///   gets [`CallError::Panicked`], so do the duplicates that waited for it
///   (reply later), and the key is forgotten: the process restarted with
///   fresh state, so the effect may not have happened, and the next call
///   with the key (a retry, or a duplicate still queued) runs the handler.
///   A `Reply` dropped unsent forgets the key the same way.
/// - **Across restarts of the OS process**, with `#[process(journal)]`:
///   each reply is appended to the journal `phyx/idempotent/<process>/<method>`
///   before anyone hears it, and loaded when the process recovers, so a
///   caller that got a reply and retries after the OS process restarted
///   gets the same reply. The key and the reply must then be
///   `Serialize + DeserializeOwned`. A record read back counts as seen
///   when it is read (phyx's clock does not cross OS processes): a window
///   is never shortened. A crash after the handler's own
///   `Ctx::persist` and before the record is stored leaves the events
///   without the record, and a retry after the restart runs the handler
///   again: to close that gap, carry the key in the event and have the
///   handler answer from its state when `#[apply]` has seen the key
///   (`phyx::journal`'s documentation says more). A process in an OS
///   process of its own (`System::spawn_isolated`) keeps its table there:
///   its restart is a new OS process, which remembers what its journal
///   recorded, and nothing without one.
/// - **Across nodes**, with `#[process(remote)]`: the table is on the
///   node that serves the process, so duplicates from every node are
///   deduplicated together.
/// - **Memory.** One entry per key seen within one window (with its
///   reply); an entry is forgotten when its window ends, swept as calls
///   come. `capacity = N` keeps at most `N` replies, forgetting the oldest
///   first (its key then runs again). In a pool, each member keeps its
///   own table: route by the key ([`pool::Routing::by_key`]) so that one
///   key's calls meet on one member.
///
/// The key must be one of the method's arguments, of a type that is
/// `Hash + Eq + Clone`; the reply must be `Clone`. Each misuse is a
/// compile error saying what to write. Methods without the attribute pay
/// nothing for it.
///
/// ```
/// use phyx::prelude::*;
///
/// #[derive(Default)]
/// struct Payments { charged: u64 }
///
/// #[process]
/// impl Payments {
///     /// Charges once per order, however often the caller retries.
///     #[public]
///     #[idempotent(key = order, window = "10m")]
///     fn charge(&mut self, order: String, cents: u64) -> u64 {
///         self.charged += cents;
///         self.charged
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), phyx::CallError> {
/// let system = System::new();
/// let payments = system.spawn(Payments::default);
/// assert_eq!(payments.charge("order-1".into(), 500).await?, 500);
/// assert_eq!(payments.charge("order-1".into(), 500).await?, 500); // not charged twice
/// assert_eq!(payments.charge("order-2".into(), 100).await?, 600);
/// # system.shutdown().await;
/// # Ok(())
/// # }
/// ```
pub use phyx_macros::idempotent;

/// Names the `#[public]` method of the same process that undoes this one
/// when a later step of a [`Saga`](saga::Saga) fails.
///
/// `#[compensate(undo)]` goes on a `#[public]` method that returns
/// `Result<T, E>` (or nothing). When a saga step calling it succeeds, the
/// saga records a call of `undo` with what the step produced; if a later
/// step fails, it makes that call (retried with backoff until it succeeds
/// or the saga's attempts run out). `undo` is an ordinary `#[public]`
/// method of the same impl; its arguments, after an optional context, are
/// checked by the compiler to be one of:
///
/// - `(key: StepKey, value: T)`: the step's idempotency key and the `T` the
///   step returned in `Ok` (cloned for every attempt, so `T: Clone`);
/// - `(value: T)` or `(key: StepKey)`: one of them;
/// - nothing at all.
///
/// A step that returns nothing (`()` or `Result<(), E>`) has no value to
/// pass: its undo takes the key or nothing.
///
/// The undo returns `Result<_, E>` (an `Err` is a failed attempt) or
/// nothing.
///
/// ```
/// use phyx::prelude::*;
///
/// #[derive(Default)]
/// struct Payments { charged: Vec<(StepKey, u64)> }
///
/// #[process]
/// impl Payments {
///     #[public]
///     #[compensate(refund)]
///     fn charge(&mut self, key: StepKey, cents: u64) -> Result<u64, String> {
///         self.charged.push((key, cents));
///         Ok(cents)
///     }
///
///     /// Idempotent: refunding a step twice, or one never charged, is a no-op.
///     #[public]
///     fn refund(&mut self, key: StepKey, _cents: u64) {
///         self.charged.retain(|(charged, _)| *charged != key);
///     }
/// }
/// ```
pub use phyx_macros::compensate;

/// Keeps the replies of a `#[public]` method at its callers, so that a
/// repeated ask is answered without a message:
/// `#[cache(ttl = "30s", capacity = 1000, invalidated_by = put)]`.
///
/// An ask of a cached method first looks its arguments up in a cache
/// shared by every handle of the process (clones of one handle, handles
/// from [`System::lookup`](crate::System::lookup) of the same name on this
/// node). On a hit it is answered at once, with a clone of the reply,
/// without entering the mailbox; on a miss it is sent as usual and its
/// reply is kept for `ttl` on the system's clock (virtual under
/// `phyx-testkit`).
///
/// - `ttl` (required): how long a reply stays fresh.
/// - `capacity` (default 1024): how many replies are kept; the oldest goes
///   first to make room.
/// - `invalidated_by = put` or `[put, remove]`: `#[public]` methods of the
///   same impl whose calls empty the cache, when the process starts handling
///   them: a caller that had `put`'s reply sees what `put` did.
/// - `errors`: keep `Err` replies too; without it only `Ok` replies of a
///   method returning `Result` are kept. A [`CallError`] is never kept: it
///   says what happened to one call, not what the process answers.
///
/// A restart empties the cache: the fresh state may answer differently.
/// A tell ([`Call::send`]) of a cached method is always sent: the cache is
/// looked up when an ask is awaited. Freshness is read on the clock's
/// coarse reading ([`Clock::now_coarse`]),
/// a few milliseconds on Linux. The method
/// must take `&self` (a cached call does not run it), its arguments must be
/// `Hash + Eq + Clone` and its reply `Clone`: the compiler says so on the
/// type that is not. For a process on another node the cache is at each
/// node's callers, and only `ttl` bounds how stale it gets after a call of
/// an `invalidated_by` method from elsewhere.
///
/// ```
/// use phyx::prelude::*;
/// use std::collections::HashMap;
///
/// #[derive(Default)]
/// struct Prices { by_item: HashMap<String, u64> }
///
/// #[process]
/// impl Prices {
///     #[public]
///     #[cache(ttl = "30s", capacity = 10_000, invalidated_by = set)]
///     fn price(&self, item: String) -> Option<u64> {
///         self.by_item.get(&item).copied()
///     }
///
///     #[public]
///     fn set(&mut self, item: String, cents: u64) {
///         self.by_item.insert(item, cents);
///     }
/// }
/// ```
pub use phyx_macros::cache;

/// Checks the arguments of a `#[public]` method at the caller, before
/// anything is sent: `#[validate(with = check_order)]`.
///
/// The validator is a function (or `Self::associated_fn`) taking each
/// argument of the method by reference, in order (or what it derefs to:
/// `&str` for a `String`), and returning `Result<(), E>` with
/// `E: Display`. When it returns `Err`, the call fails
/// with [`CallError::Invalid`] (a tell with [`SendError::Invalid`]) carrying
/// the error's text, and no message enters the mailbox. It runs on the
/// caller's task for every call: keep it quick and free of side effects.
///
/// ```
/// use phyx::prelude::*;
///
/// fn positive(cents: &u64, _memo: &str) -> Result<(), String> {
///     if *cents == 0 { Err("a deposit must be at least one cent".into()) } else { Ok(()) }
/// }
///
/// #[derive(Default)]
/// struct Account { cents: u64 }
///
/// #[process]
/// impl Account {
///     #[public]
///     #[validate(with = positive)]
///     fn deposit(&mut self, cents: u64, memo: String) -> u64 {
///         self.cents += cents;
///         self.cents
///     }
/// }
/// ```
pub use phyx_macros::validate;

/// The README's examples, compiled and run as doctests so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

/// What most users import: `use phyx::prelude::*;`.
pub mod prelude {
    pub use crate::health::Health;
    pub use crate::saga::{SagaError, StepKey};
    pub use crate::{
        CallError, Ctx, Down, Handle, Reply, SendError, Supervisor, System, apply, cache, child, circuit_breaker,
        compensate, health_check, idempotent, on_down, on_start, on_stop, process, public, rate_limit, restore,
        snapshot, supervisor, validate,
    };
}

/// Hooks for test kits such as `phyx-testkit`: fault injection, crashes
/// from outside, processes that no task runs, and the seeded random source.
/// Not for applications. Enabled by the `test-util` feature, as tokio's
/// own test hooks are.
#[cfg(feature = "test-util")]
pub mod testing {
    pub use crate::fault::{Fault, FaultHook};
    pub use crate::rng::SplitMix64;

    /// Crashes the process behind `handle` as if a handler had panicked
    /// with `message`, once it is not handling a message.
    pub fn crash(handle: &impl crate::Handle, message: &str) {
        crate::kernel::tree::AnyProcess::inject_crash(&**handle.__addr().shared(), message.into());
    }

    /// A process of type `T` that no task runs: its context, and its handle
    /// to queue messages on, for running its handlers in isolation.
    pub fn detached<T: crate::Process>(system: &crate::System, name: &str) -> (crate::Ctx<T>, T::Ref) {
        use crate::kernel::addr::{Addr, Shared};
        let settings = crate::SpawnOptions::new().name(name).or(T::options()).resolve(T::NAME);
        let shared = std::sync::Arc::new(Shared::<T::Message>::new(system.inner(), None, &settings));
        shared.core.set_status(crate::Status::Running);
        let ctx = crate::Ctx::new(shared.clone());
        (ctx, crate::Handle::__from_addr(Addr::new(shared)))
    }

    /// The oldest message queued for the process behind `handle`, without
    /// waiting; for processes from [`detached`].
    pub fn try_recv<H: crate::Handle>(handle: &H) -> Option<H::Message> {
        handle.__addr().shared().mailbox.try_recv()
    }

    /// How many processes watch the process behind `handle` (see
    /// [`Ctx::watch`](crate::Ctx::watch)); its registry name is not
    /// counted, and once it has stopped for good the count is 0. For tests
    /// that watches end with their watcher.
    pub fn watchers<H: crate::Handle>(handle: &H) -> usize {
        handle.__addr().core().watchers.processes()
    }
}

/// Used by the code the macros generate; not part of the API and exempt
/// from semver.
#[doc(hidden)]
pub mod __private {
    pub use crate::cache::{CacheSpec, Cached, Fill, KeyRef};
    pub use crate::call::Undo;
    pub use crate::call::{CacheArgument, CacheReply, Verdict, cache_lookup};
    pub use crate::idempotent::{
        Admit, First, HandleIdempotent, IdempotentKey, IdempotentReply, IdempotentSpec, handle_idempotent, idempotent,
        idempotent_later,
    };
    #[cfg(feature = "journal")]
    pub use crate::idempotent::{Recorded, recover_idempotent};
    pub use crate::kernel::addr::Addr;
    pub use crate::kernel::health::{CheckHealth, HealthReply, IntoHealth, check_health};
    #[cfg(feature = "cluster")]
    pub use crate::kernel::health::{HEALTH_METHOD, health_pending, health_wait};
    pub use crate::kernel::later::{HandleLater, handle_later};
    pub use crate::kernel::link::{SupervisorMsg, SupervisorSpec};
    pub use crate::kernel::reply::{
        HandleAndReply, NoReply, Panic, ReplyTo, Sent, StartOutcome, Unreachable, handle_and_reply, no_reply,
    };
    pub use crate::kernel::wire::{Decode, Decoded, Encoded, PendingReply, ReplyWait, Wire};
    pub use crate::trace::carry::{InTrace, Opened, Traced, TracedHandler, enter_trace, open_trace, traced};

    #[cfg(feature = "cluster")]
    pub use crate::cluster::private::*;

    /// What `#[process(remote)]` generates, kept only where the `cluster`
    /// feature is on; elsewhere, one error that says how to turn it on.
    #[cfg(feature = "cluster")]
    #[macro_export]
    #[doc(hidden)]
    macro_rules! __phyx_remote {
        ($($generated:tt)*) => { $($generated)* };
    }

    /// What `#[process(remote)]` generates, kept only where the `cluster`
    /// feature is on; elsewhere, one error that says how to turn it on.
    #[cfg(not(feature = "cluster"))]
    #[macro_export]
    #[doc(hidden)]
    macro_rules! __phyx_remote {
        ($($generated:tt)*) => {
            ::core::compile_error!(
                "`#[process(remote)]` needs phyx's `cluster` feature: in Cargo.toml, write `phyx = { version = \"0.1\", features = [\"cluster\"] }`"
            );
        };
    }

    pub use crate::__phyx_remote as remote;

    /// Items that `#[process(remote)]` generates beside its `__wire`
    /// (the [`Remote`](crate::cluster::Remote) marker), kept only where
    /// the `cluster` feature is on; elsewhere nothing, `remote!` being
    /// the one error.
    #[cfg(feature = "cluster")]
    #[macro_export]
    #[doc(hidden)]
    macro_rules! __phyx_remote_items {
        ($($generated:tt)*) => { $($generated)* };
    }

    /// See the `cluster` version.
    #[cfg(not(feature = "cluster"))]
    #[macro_export]
    #[doc(hidden)]
    macro_rules! __phyx_remote_items {
        ($($generated:tt)*) => {};
    }

    pub use crate::__phyx_remote_items as remote_items;
    #[cfg(feature = "journal")]
    pub use crate::journal::{EventSourced, recover};

    /// What `#[process(journal)]` generates (the
    /// `EventSourced` impl), kept only where
    /// the `journal` feature is on; elsewhere, one error that says how to
    /// turn it on.
    #[cfg(feature = "journal")]
    #[macro_export]
    #[doc(hidden)]
    macro_rules! __phyx_journal {
        ($($generated:tt)*) => { $($generated)* };
    }

    /// See the `journal` version.
    #[cfg(not(feature = "journal"))]
    #[macro_export]
    #[doc(hidden)]
    macro_rules! __phyx_journal {
        ($($generated:tt)*) => {
            ::core::compile_error!(
                "`#[process(journal)]` needs phyx's `journal` feature: in Cargo.toml, write `phyx = { version = \"0.1\", features = [\"journal\"] }`"
            );
        };
    }

    pub use crate::__phyx_journal as journal;

    /// Items that `#[process(journal)]` generates inside the `Process`
    /// impl (its `__recover`), kept only where the `journal` feature is
    /// on; elsewhere nothing, `journal!` being the one error.
    #[cfg(feature = "journal")]
    #[macro_export]
    #[doc(hidden)]
    macro_rules! __phyx_journal_items {
        ($($generated:tt)*) => { $($generated)* };
    }

    /// See the `journal` version.
    #[cfg(not(feature = "journal"))]
    #[macro_export]
    #[doc(hidden)]
    macro_rules! __phyx_journal_items {
        ($($generated:tt)*) => {};
    }

    pub use crate::__phyx_journal_items as journal_items;

    #[cfg(feature = "cluster")]
    pub use crate::cluster::Remote;
    pub use crate::resilience::{BreakerSpec, GuardSpec, RateSpec, key_of};
    pub use crate::supervisor::{Siblings, handle as supervise, sibling, start as start_children};

    /// The handle of child `index` of the supervisor at `addr`.
    pub fn child<C: crate::Process, M: crate::Message>(addr: &Addr<M>, index: usize) -> C::Ref {
        let node = addr
            .core()
            .supervision
            .get()
            .and_then(|supervision| supervision.child(index));
        let child = node.and_then(Addr::<C::Message>::of);
        // The macro declares child `index` as a `C`, so this always holds.
        let child = child.expect("a supervisor's child has the type its `#[child]` method returns");
        crate::Handle::__from_addr(child)
    }
    pub use core::clone::Clone;
    pub use core::convert::Infallible;
    pub use core::future::Future;
    pub use core::marker::{PhantomData, Send};
    pub use core::option::Option::{self, None, Some};
    pub use core::result::Result::{self, Err, Ok};
    pub use std::string::String;
    pub use std::time::Duration;

    /// What an argument of a `#[public]` method must be: it crosses from
    /// the caller's task to the process's. `OK` sizes an array in the
    /// generated code that makes and opens the argument's `Sent`, so that a
    /// non-`Send` argument is reported once, here, on the argument (see
    /// phyx-macros' `expand/sendable.rs`).
    #[diagnostic::on_unimplemented(
        message = "`{Self}` cannot be sent to another task, and arguments of `#[public]` methods must be `Send`",
        label = "not `Send`",
        note = "a message crosses from the caller's task to the process's: use a `Send` type here (e.g. `Arc` instead of `Rc`)"
    )]
    pub trait SendArgument {
        const OK: usize = 1;
    }

    impl<T: Send + ?Sized> SendArgument for T {}

    /// What a `#[public]` method returns must be: its reply crosses from the
    /// process's task to the caller's. See [`SendArgument`].
    #[diagnostic::on_unimplemented(
        message = "`{Self}` cannot be sent to another task, and what `#[public]` methods return must be `Send`",
        label = "not `Send`",
        note = "a reply crosses from the process's task to the caller's: return a `Send` type (e.g. `Arc` instead of `Rc`)"
    )]
    pub trait SendReply {
        const OK: usize = 1;
    }

    impl<T: Send + ?Sized> SendReply for T {}

    /// Whether an argument's type is `Clone`, asked where the type is
    /// known, for `send_every`: `(&Probe::<T>::new()).cloner()` is
    /// [`CloneArgument::cloner`] (`Some(T::clone)`) when `T: Clone`, and
    /// [`NotCloneArgument::cloner`] (`None`) otherwise: method lookup
    /// tries `&Probe<T>` as the receiver before `&&Probe<T>`.
    pub struct Probe<T>(PhantomData<fn() -> T>);

    impl<T> Probe<T> {
        #[allow(clippy::new_without_default, reason = "generated code only")]
        pub const fn new() -> Self {
            Self(PhantomData)
        }
    }

    /// See [`Probe`].
    pub trait CloneArgument<T> {
        fn cloner(&self) -> Option<fn(&T) -> T>;
    }

    impl<T: Clone> CloneArgument<T> for Probe<T> {
        fn cloner(&self) -> Option<fn(&T) -> T> {
            Some(T::clone)
        }
    }

    /// See [`Probe`].
    pub trait NotCloneArgument<T> {
        fn cloner(&self) -> Option<fn(&T) -> T>;
    }

    impl<T> NotCloneArgument<T> for &Probe<T> {
        fn cloner(&self) -> Option<fn(&T) -> T> {
            None
        }
    }

    /// Which replies a `#[cache]` method keeps, asked where the reply
    /// type is known (an alias of `Result` is a `Result`):
    /// `(&Probe::<R>::new()).keep_rule()` is [`KeepOk::keep_rule`] (only
    /// `Ok`s) for a `Result`, and [`KeepEvery::keep_rule`] otherwise, as
    /// for [`CloneArgument`].
    pub trait KeepOk<R> {
        fn keep_rule(&self) -> fn(&R) -> bool;
    }

    impl<T, E> KeepOk<Result<T, E>> for Probe<Result<T, E>> {
        fn keep_rule(&self) -> fn(&Result<T, E>) -> bool {
            Result::is_ok
        }
    }

    /// See [`KeepOk`].
    pub trait KeepEvery<R> {
        fn keep_rule(&self) -> fn(&R) -> bool;
    }

    impl<R> KeepEvery<R> for &Probe<R> {
        fn keep_rule(&self) -> fn(&R) -> bool {
            |_| true
        }
    }

    /// What `#[cache(errors)]` asks of the reply: a `Result`, whose `Err`s
    /// it keeps too.
    #[diagnostic::on_unimplemented(
        message = "`errors` keeps the `Err` replies of a `#[cache]` method too, and `{Self}` is not a `Result`",
        label = "not a `Result`",
        note = "remove `errors`: a cache keeps every reply of a method that does not return a `Result`"
    )]
    pub trait CachedResult {
        /// Keeps every reply, `Err`s too.
        fn keep_errors() -> fn(&Self) -> bool {
            |_| true
        }
    }

    impl<T, E> CachedResult for Result<T, E> {}

    /// Backoff from `#[process(backoff(...))]`, validated by the macro.
    pub fn backoff(initial: Duration, max: Duration, factor: f64, jitter: f64) -> crate::Backoff {
        crate::Backoff::exponential(initial, max).factor(factor).jitter(jitter)
    }
}
