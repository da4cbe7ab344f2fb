//! Processes in OS processes of their own (feature `isolated`, Unix).
//!
//! A panic crashes only its process; a segfault, an
//! [`abort`](std::process::abort), a stack overflow or an out-of-memory
//! takes down the whole OS process, every other process with it. An
//! *isolated* process runs in a child OS process instead, reached over the
//! cluster transport, behind the same handle type: when that child dies,
//! the call it was handling fails with
//! [`CallError::Panicked`](crate::CallError::Panicked), whose message says
//! what killed it, and the process is restarted (in a fresh child, with
//! fresh state) by the kernel's usual machinery: its backoff, its restart
//! limit, its supervisor. Optional limits on the child's memory and CPU
//! time turn a runaway into such a crash too.
//!
//! ```no_run
//! use std::time::Duration;
//! use phyx::isolated::Isolation;
//! use phyx::prelude::*;
//!
//! #[derive(Default)]
//! struct Cruncher { done: u64 }
//!
//! #[process(remote)]          // its messages cross to the child
//! impl Cruncher {
//!     #[public]
//!     fn crunch(&mut self, n: u64) -> u64 {
//!         self.done += 1;
//!         (1..=n).fold(1u64, |product, k| product.wrapping_mul(k))
//!     }
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     // First thing: in the child phyx starts, this serves the process and
//!     // never returns; here, it returns at once.
//!     phyx::isolated::serve_if_child(|children| children.add(Cruncher::default));
//!
//!     let system = System::builder().node("main").cluster("nats://127.0.0.1:4222").connect().await?;
//!     let cruncher: CruncherRef = system.spawn_isolated::<Cruncher>(
//!         Isolation::new().memory_limit(1 << 30).cpu_time(Duration::from_secs(60)),
//!     );
//!     match cruncher.crunch(20).await {
//!         Ok(product) => println!("{product}"),
//!         // e.g. "... panicked: the isolated OS process of `Cruncher` died: signal 11 (SIGSEGV)"
//!         Err(error) => println!("{error}"),
//!     }
//!     system.shutdown().await;
//!     Ok(())
//! }
//! ```
//!
//! # How it works
//!
//! [`Isolated<T>`] is a local process with `T`'s messages and handle. Each
//! of its instances, in its start hook, starts the child (this same
//! program, or [`Isolation::program`]) with its limits set before it runs,
//! writes it its settings on its standard input (the cluster's servers,
//! namespace and credentials: never on the command line or in the
//! environment, which other users can read), and waits until it is ready.
//! The child's `main` calls [`serve_if_child`] first, which joins the
//! cluster as a node of its own, starts `T` and serves it on a subject
//! only the parent knows. The instance then forwards each message there,
//! one at a time (tells as asks: the next message goes once this one is
//! handled), and each caller gets its reply. When the child dies, the
//! message it was handling fails, the instance crashes, and messages
//! queued behind it wait for the next instance, as for a local process.
//!
//! The child exits when its parent closes it (a stop or restart), or
//! goes away however it does (even killed with SIGKILL: the child's
//! standard input then ends, and a thread of its own watches it). Its
//! standard output and error reach the parent's [`tracing`], each line an
//! event at INFO (stdout) or WARN (stderr), target `phyx::isolated`, with
//! the fields `process` (its name) and `pid`.
//!
//! # What it costs and needs
//!
//! - A system that joined a cluster
//!   ([`SystemBuilder::connect`](crate::SystemBuilder::connect)), whose
//!   NATS server the child joins too, and a `#[process(remote)]` process
//!   (a process without it is a compile error: its messages could not
//!   cross).
//! - A fresh OS process per instance: a start, and each restart, takes
//!   the program's start plus joining the cluster (milliseconds to tens
//!   of milliseconds), not the microseconds of a local restart.
//! - Every call crosses the NATS server twice, as a remote call does; and
//!   one at a time, so a process that replies later
//!   ([`Reply`](crate::Reply)) holds its mailbox until it has replied.
//! - Timers run on real time in the child: an isolated process's
//!   `ctx.sleep` and `send_after` do not follow a test's virtual clock.
//! - A `ctx.stop()` in the child stops the isolated process for good.

mod isolation;
mod keeper;
mod os;
mod protocol;
mod serve;

pub use self::isolation::Isolation;
pub use self::keeper::Isolated;
pub use self::serve::{Children, serve_if_child};

use crate::cluster::Remote;
use crate::options::SpawnOptions;
use crate::system::System;

impl System {
    /// Starts `T` in an OS process of its own, started as `isolation`
    /// says, and returns its handle at once; see [`phyx::isolated`](crate::isolated).
    ///
    /// The same as `system.spawn(move || Isolated::<T>::new(isolation.clone()))`.
    /// A crash of that OS process (a signal, an abort, past a limit) is a
    /// crash of this process, whose callers get
    /// [`CallError::Panicked`](crate::CallError::Panicked) naming the
    /// cause, and which restarts in a fresh one by its options.
    ///
    /// The program started must call [`serve_if_child`] at the top of its
    /// `main` with `T` among its children; one that does not fails the
    /// process's start (after its start timeout) saying so.
    ///
    /// # Panics
    ///
    /// If this system joined no cluster: build it with
    /// `System::builder().node(..).cluster(url).connect().await`.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use phyx::isolated::Isolation;
    /// use phyx::prelude::*;
    ///
    /// #[derive(Default)]
    /// struct Parser;
    ///
    /// #[process(remote)]
    /// impl Parser {
    ///     #[public]
    ///     fn parse(&self, text: String) -> usize { text.split_whitespace().count() }
    /// }
    ///
    /// #[tokio::main]
    /// async fn main() -> Result<(), Box<dyn std::error::Error>> {
    ///     phyx::isolated::serve_if_child(|children| children.add(|| Parser));
    ///     let system = System::builder().node("main").cluster("nats://127.0.0.1:4222").connect().await?;
    ///     let parser: ParserRef = system.spawn_isolated::<Parser>(Isolation::new());
    ///     assert_eq!(parser.parse("untrusted input".into()).await?, 2);
    ///     system.shutdown().await;
    ///     Ok(())
    /// }
    /// ```
    pub fn spawn_isolated<T: Remote>(&self, isolation: Isolation) -> T::Ref {
        self.spawn_isolated_with::<T>(isolation, SpawnOptions::new())
    }

    /// [`spawn_isolated`](Self::spawn_isolated) with options that override
    /// `T`'s `#[process(...)]` ones (name, restart, backoff, restart
    /// limit, mailbox, shutdown timeout), as for
    /// [`spawn_with`](Self::spawn_with).
    ///
    /// # Panics
    ///
    /// If this system joined no cluster.
    pub fn spawn_isolated_with<T: Remote>(&self, isolation: Isolation, options: SpawnOptions) -> T::Ref {
        assert!(self.cluster_node().is_some(), "{}", keeper::NO_CLUSTER);
        self.spawn_with(move || Isolated::<T>::new(isolation.clone()), options)
    }
}
