//! A seeded randomized soak on the test kit (virtual time), checked
//! against a small model: "no caller ever hangs" (issue 11).
//!
//! Each scenario is a random program, a `Vec<Op>` generated from one seed
//! by a SplitMix64 of our own, so that it replays exactly: spawns of plain
//! processes, pools and supervisors (one_for_one, one_for_all,
//! rest_for_one, one nested in another) with mixed mailbox sizes,
//! overflow policies, restart types, backoffs, restart limits (some low
//! enough to reach), shutdown timeouts and stop hooks; tells (`send`,
//! `send_wait`, `send_after`) and asks (with and without a timeout) to
//! handlers sync and async (working, sleeping on `ctx.sleep`, asking a
//! process spawned earlier, panicking at once or later, stopping
//! themselves, never returning, waiting on their own process, shutting
//! the system down); crashes (panicking handlers and `t.crash`),
//! `Handle::stop`, `System::shutdown` mid-program, and virtual time
//! moving (`advance`, `settle`). Every ask, `send_wait`, stop and
//! mid-program shutdown runs as its own task.
//!
//! What the model checks (each check names the op it concerns):
//!
//! - **Every call resolves.** After the program, virtual time runs (up to
//!   an hour, in 10 s steps) until every task is finished; still pending
//!   is a hang. Exempt until shutdown: asks and `send_wait`s without a
//!   timeout to a process that was sent a never-returning message (or
//!   asks one without a timeout, transitively). After `t.shutdown()`,
//!   every task at all must have finished; leftovers are reported and
//!   aborted, so the test always ends.
//! - **Each outcome is a possible one.** An ask with a timeout ends within
//!   it, and `Timeout` exactly at it; `MailboxFull` only under reject,
//!   `Dropped` only under drop_oldest, `Panicked` only from a handler that
//!   panics (which never replies); `Stopped` only from a process that has
//!   stopped for good, or from one whose handler of that very ask was
//!   cancelled (each ask carries a mark its handler sets on entry and on
//!   return) by a group restart of its supervisor (children only) or by a
//!   stop for good that was asked of it or of the system (plain processes,
//!   pools; a pool's router may also drop the call it is delivering then);
//!   a refused tell `Stopped` only once the process has stopped for good;
//!   `send_wait` never refused as full under backpressure (except into the
//!   sender's own mailbox), `send` never under drop_oldest. Asks made by
//!   handlers are checked the same way. An ask that a class says must
//!   succeed may fail only once the system is shutting down.
//! - **A process waiting on itself does not wait.** A self-ask fails at
//!   once with `SelfCall`; `send_wait` into its own full backpressured
//!   mailbox fails at once with `MailboxFull`; `Handle::stop` of itself
//!   and `System::shutdown` awaited in a handler return at once, and a
//!   process that stopped itself never handles another message.
//! - **Every accepted tell is accounted for.** Each tell carries a token
//!   that the handler consumes on entry and that counts, when destroyed
//!   unconsumed, as lost while the process was live, stopping/stopped, or
//!   (timers of `send_after`) while the system shuts down. Per process,
//!   after shutdown: accepted == handled + lost (nothing still in flight);
//!   lost while live <= `MessageDropped` events of tells <= lost while
//!   live or stopping (a drop_oldest eviction is the only way to lose a
//!   tell from a live process, also while the system shuts down around
//!   it); `MessageRejected` events of tells == tells refused as full. A
//!   tell lost while its process is `Stopping` with no stop for good asked
//!   (a child parked in a group restart keeps its queue) must be lost at
//!   the instant the process stopped for good, or be matched by an
//!   eviction at that instant. Delayed tells likewise, against their drops
//!   and rejections when the timer fires (or the timer dropped at
//!   shutdown).
//! - **Restart delays follow the backoff.** Every `Restarting` event has
//!   `min(max, initial * 2^(attempt-1))` (within the jitter) for the
//!   backoff its process was given; a zero backoff stays zero.
//! - **Shutdown is bounded.** `t.shutdown()` (and every mid-program
//!   shutdown) finishes within the sum over processes of twice their
//!   shutdown timeout (the handler, then the stop hook) of virtual time;
//!   a shutdown that never finishes is caught by a virtual-time guard.
//!   Once a shutdown has finished (also one a handler started), every
//!   process is stopped. After `t.shutdown()` every handle reports
//!   `Status::Stopped`.
//! - **Lifecycles are sane.** A stopped process never runs again;
//!   `Handle::pool_status` is `Some` exactly for pools, with their size
//!   and no more live members than that (none once stopped); a pool stops
//!   only when stopped, or with reason "all N members of the pool stopped
//!   for good" once each of its members has (`t.crash` of a pool does not
//!   stop it).
//!
//! Op classes (see `classes.rs`) drive phyx into the situations of issue
//! 11 that hung or lost work on earlier runtimes; all are on.
//!
//! `PHYX_SOAK_SEED=<n>` replays one scenario, printing its program and
//! events; `PHYX_SOAK_SCENARIOS=<n>` runs more (default
//! [`driver::SCENARIOS`]); `PHYX_SOAK_CLASSES=self_ask,pool_stuck` (or
//! `all`, `none`) picks the classes; `PHYX_SOAK_KEEP_GOING=1` runs past
//! the first failure and summarizes all of them.
//!
//! Files: `classes.rs` (the op classes and their switches), `rng.rs` (the
//! random source), `program.rs` (what a program is), `generate.rs`
//! (random programs), `processes.rs` (the process under test, its
//! supervisors, and what it shares with the test), `model.rs` (which
//! single outcomes are possible), `run.rs` (running a program's ops),
//! `finish.rs` (the checks once a program has run), `driver.rs` (seeds,
//! scenarios, reports), `repros.rs` (regression tests of the runtime bugs
//! this soak found), `util.rs` (small helpers).

mod classes;
mod driver;
mod finish;
mod generate;
mod model;
mod processes;
mod program;
mod repros;
mod rng;
mod run;
mod util;

use classes::Classes;
use driver::{SCENARIOS, soak};

/// The soak with the classes on by default (`PHYX_SOAK_CLASSES`
/// overrides), in two halves of other seeds so that they run in parallel.
#[test]
fn soak_on_virtual_time() {
    soak("soak_on_virtual_time", Classes::defaults(), SCENARIOS / 2);
}

#[test]
fn soak_on_virtual_time_2() {
    soak("soak_on_virtual_time_2", Classes::defaults(), SCENARIOS / 2);
}
