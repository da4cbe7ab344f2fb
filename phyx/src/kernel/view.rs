//! A view of the running system: one snapshot of every live process and
//! where it sits in the supervision tree.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::id::ProcessId;
use crate::kernel::process::Status;
use crate::kernel::system::SystemInner;
use crate::kernel::tree::{AnyProcess, Children};

/// One live process, as [`System::processes`](crate::System::processes)
/// saw it.
///
/// A snapshot: the process goes on changing after it is taken. Printed with
/// `{}` it is one line, `name#id kind status`, with its mailbox depth,
/// restarts and uptime.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProcessInfo {
    /// The process's id.
    pub id: ProcessId,
    /// Its name (`#[process(name = ...)]`, `SpawnOptions::name`, or its
    /// type's name).
    pub name: Arc<str>,
    /// A plain process, a supervisor or a pool.
    pub kind: ProcessKind,
    /// Where it is in its life.
    pub status: Status,
    /// The process that supervises it (a supervisor, a pool, or the
    /// process whose [`Ctx::spawn`](crate::Ctx::spawn) started it); `None`
    /// at the top of the tree.
    pub parent: Option<ProcessId>,
    /// How deep in the tree it is: 0 at the top.
    pub depth: usize,
    /// Messages waiting in its mailbox.
    pub queued: usize,
    /// How many times it has restarted.
    pub restarts: u32,
    /// How long its current instance has been serving, on the system's
    /// clock; zero when it is not serving (starting, in its backoff,
    /// stopping).
    pub uptime: Duration,
}

/// What kind of process a [`ProcessInfo`] describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProcessKind {
    /// A `#[process]`.
    Process,
    /// A `#[supervisor]`.
    Supervisor,
    /// The router of a pool ([`System::pool`](crate::System::pool)); its
    /// members are its children.
    Pool,
}

impl fmt::Display for ProcessKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Process => "process",
            Self::Supervisor => "supervisor",
            Self::Pool => "pool",
        })
    }
}

impl fmt::Display for ProcessInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}#{} {} {:?}, {} queued, {} restarts, up {:?}",
            self.name,
            self.id.get(),
            self.kind,
            self.status,
            self.queued,
            self.restarts,
            self.uptime
        )
    }
}

/// Every live process of `system`, depth first: each parent before its
/// children, siblings in start order.
pub(crate) fn processes(system: &SystemInner) -> Vec<ProcessInfo> {
    let mut seen = Vec::new();
    let now = system.clock.now();
    visit(&system.root, None, 0, now, &mut seen);
    seen
}

fn visit(
    children: &Children,
    parent: Option<ProcessId>,
    depth: usize,
    now: std::time::Instant,
    seen: &mut Vec<ProcessInfo>,
) {
    for process in children.list() {
        let core = process.core();
        let status = core.status();
        if status == Status::Stopped {
            continue;
        }
        seen.push(ProcessInfo {
            id: core.id,
            name: core.name.clone(),
            kind: kind(&*process),
            status,
            parent,
            depth,
            queued: process.queued(),
            restarts: core.restarts(),
            uptime: core
                .serving_since()
                .map_or(Duration::ZERO, |since| now.saturating_duration_since(since)),
        });
        visit(&core.children, Some(core.id), depth + 1, now, seen);
    }
}

/// A supervisor, a pool's router or a plain process; also what a health
/// report says.
pub(crate) fn kind(process: &dyn AnyProcess) -> ProcessKind {
    let core = process.core();
    if core.supervision.get().is_some() {
        ProcessKind::Supervisor
    } else if core.pool.get().is_some() {
        ProcessKind::Pool
    } else {
        ProcessKind::Process
    }
}
