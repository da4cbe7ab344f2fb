//! Health checks: each process says how it is, and
//! [`System::health`](crate::System::health) asks them all.
//!
//! A `#[health_check]` method of a `#[process]` impl answers with a
//! [`Health`]: healthy, degraded or unhealthy, with a detail that says
//! why. `system.health().await` walks the running tree, asks every process
//! that has a check at once, and waits at most a timeout (one second by
//! default, on the system's clock) for the answers; the
//! [`HealthReport`] holds every live process in its place in the tree.
//!
//! ```
//! use phyx::prelude::*;
//! use phyx::health::HealthStatus;
//! use std::time::Duration;
//!
//! #[derive(Default)]
//! struct Database { pending_writes: usize }
//!
//! #[process]
//! impl Database {
//!     #[public]
//!     fn write(&mut self) { self.pending_writes += 1; }
//!
//!     #[health_check]
//!     fn health(&self) -> Health {
//!         match self.pending_writes {
//!             0..100 => Health::healthy(),
//!             n => Health::degraded(format!("{n} writes behind")),
//!         }
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), phyx::SendError> {
//! let system = System::new();
//! let db = system.spawn(Database::default);
//! for _ in 0..150 {
//!     db.write().send()?;
//! }
//! let report = system.health().timeout(Duration::from_millis(500)).await;
//! assert_eq!(report.status(), HealthStatus::Degraded);
//! assert_eq!(report.find("Database").unwrap().why().unwrap(), "150 writes behind");
//! # system.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # What each process's health is
//!
//! | the process | its own health |
//! | --- | --- |
//! | running, with a check | what the check returned |
//! | with a check that does not answer within the timeout (stuck in a handler, a backlog of messages, a check that waits for ever) | unhealthy: `did not answer within 1s` |
//! | with a check that panics | unhealthy, with the panic's message; the process crashes and restarts, as for any handler's panic |
//! | running, without a check | healthy (the report says it has no check) |
//! | starting, without a check | degraded: `starting` (one with a check is asked, and answers once started) |
//! | in its backoff after a crash | degraded: `restarting after a crash`; not asked, since its next instance is a backoff away |
//! | stopping | unhealthy: `stopping` |
//! | stopped for good | not in the report |
//!
//! A supervisor (which has no check of its own), a pool, and a process
//! that spawned children are as healthy as their least healthy
//! descendant: [`ProcessHealth::status`] is the worst of a process's own
//! and its descendants', and [`HealthReport::status`] the worst of all.
//! While the system shuts down the report is unhealthy.
//!
//! # The check
//!
//! `fn` or `async fn`, taking `&self` (a check looks, it does not change
//! the state) and optionally `ctx: &mut Ctx<Self>`, returning [`Health`];
//! at most one per process. It runs as a message of the process, in
//! mailbox order, past the mailbox's capacity (a full mailbox does not
//! refuse it, and drop-oldest does not evict a message for it): a process
//! busy with a long handler, or behind a long queue, answers late, as it
//! would answer any caller. It is not reachable through the handle.
//!
//! A process has at most one check queued: a report made while an
//! earlier one's check is still waiting in the mailbox (a stuck process)
//! waits for that one instead of queueing another. Processes without a
//! check pay nothing for any of this.

mod checkup;
mod report;

pub use crate::health::checkup::{Checking, Checkup};
pub use crate::health::report::{HealthReport, Iter, ProcessHealth};
pub use crate::kernel::health::{Health, HealthStatus};
