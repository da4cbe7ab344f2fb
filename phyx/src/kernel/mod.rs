//! The kernel: the few types that are truly mutually recursive, because a
//! process is all of them at once. Its core and place in the tree
//! (`tree`), its address (`addr`, the one place that knows where the
//! process lives), the replies to its callers (`reply`, and `later` for replies sent
//! later), what its handlers
//! see (`ctx`), its task (`run`), how it is made (`spawn`), the link to its
//! supervisor (`link`), its health check (`health`), the thread's
//! current process (`current`), the traits the macros implement (`process`), the system state all of
//! them share (`system`), who hears of a stop for good (`watch`), the
//! snapshot of the running tree (`view`) and the functions by which its
//! messages cross to another node (`wire`).
//!
//! Everything here looks only down (ids, clock, mailbox, errors, options,
//! events, resilience, faults); calls, pools, supervisors, sagas and the
//! public `System` sit above and reach in through `pub(crate)` items.

pub(crate) mod addr;
pub(crate) mod ctx;
pub(crate) mod current;
pub(crate) mod health;
pub(crate) mod later;
pub(crate) mod link;
pub(crate) mod process;
pub(crate) mod reply;
pub(crate) mod run;
pub(crate) mod spawn;
pub(crate) mod system;
pub(crate) mod tree;
pub(crate) mod view;
pub(crate) mod watch;
pub(crate) mod wire;
