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
//!   first message of every instance: `fn` or `async fn`, `&mut self`,
//!   optionally `ctx`, returning `()` or `Result<(), E: Display>`. An `Err`
//!   or a panic is a crash.
//! - [`#[on_stop]`](macro@on_stop) marks the stop hook, run when an
//!   instance ends after a successful start: `&mut self`, optionally `ctx`,
//!   and a [`StopReason`] by value.
//!
//! # Defaults
//!
//! | setting | default | set with |
//! | --- | --- | --- |
//! | mailbox capacity | [`DEFAULT_MAILBOX_CAPACITY`] (1024) | `mailbox = N`, [`SpawnOptions::mailbox`] |
//! | overflow | [`Overflow::Backpressure`] | `overflow = ...`, [`SpawnOptions::overflow`] |
//! | restart | [`Restart::Transient`]: after a crash, not a normal stop | `restart = ...`, [`SpawnOptions::restart`] |
//! | backoff | 100 ms doubling to 10 s, no jitter | `backoff(...)`, [`SpawnOptions::backoff`] |
//! | restart limit | [`DEFAULT_MAX_RESTARTS`]: 5 within 30 s | `max_restarts`, `within`, [`SpawnOptions::max_restarts`] |
//! | shutdown timeout | [`DEFAULT_SHUTDOWN_TIMEOUT`] (5 s) | `shutdown = "..."`, [`SpawnOptions::shutdown_timeout`] |
#![warn(missing_docs)]

mod addr;
mod call;
mod clock;
mod ctx;
mod error;
mod event;
mod mailbox;
mod node;
mod options;
mod process;
mod reply;
mod rng;
mod run;
mod system;

pub use crate::call::{Ask, Call};
pub use crate::clock::{Clock, Sleep, TokioClock};
pub use crate::ctx::Ctx;
pub use crate::error::{CallError, SendError};
pub use crate::event::{CustomEvent, Event, EventKind, EventStream, StopReason};
pub use crate::mailbox::{DEFAULT_MAILBOX_CAPACITY, Overflow};
pub use crate::options::{
    Backoff, DEFAULT_MAX_RESTARTS, DEFAULT_SHUTDOWN_TIMEOUT, Restart, SpawnOptions,
};
pub use crate::process::{Handle, Message, Process, ProcessId, Status};
pub use crate::system::{System, SystemBuilder};

pub use phyx_macros::{on_start, on_stop, process, public};

/// What most users import: `use phyx::prelude::*;`.
pub mod prelude {
    pub use crate::{Ctx, Handle, System, on_start, on_stop, process, public};
}

/// Used by the code the macros generate; not part of the API and exempt
/// from semver.
#[doc(hidden)]
pub mod __private {
    pub use crate::addr::Addr;
    pub use crate::reply::{Panic, ReplyTo, StartOutcome, Undelivered, reply, undeliverable};
    pub use core::clone::Clone;
    pub use core::convert::Infallible;
    pub use core::future::Future;
    pub use core::marker::{PhantomData, Send};
    pub use core::option::Option::{None, Some};
    pub use core::result::Result::{self, Err, Ok};
    pub use std::string::String;
    pub use std::time::Duration;

    /// Backoff from `#[process(backoff(...))]`, validated by the macro.
    pub fn backoff(initial: Duration, max: Duration, factor: f64, jitter: f64) -> crate::Backoff {
        crate::Backoff::exponential(initial, max).factor(factor).jitter(jitter)
    }
}
