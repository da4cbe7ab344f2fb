//! What `System::health` found: the tree of processes, each with its own
//! health and the worst of its own and its descendants'.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::id::ProcessId;
use crate::kernel::health::{Health, HealthStatus};
use crate::kernel::process::Status;
use crate::kernel::view::ProcessKind;

/// The health of a whole system, from
/// [`System::health`](crate::System::health): every live process, in its
/// place in the supervision tree.
///
/// Its [`status`](Self::status) is the worst of every process's, and
/// [`HealthStatus::Unhealthy`] while the system shuts down. Printed with
/// `{}`, it is that status on a first line, then one line per process,
/// indented by its depth (see [`ProcessHealth`]).
///
/// # Examples
///
/// ```
/// use phyx::prelude::*;
/// use phyx::health::HealthStatus;
///
/// struct Cache { warm: bool }
///
/// #[process]
/// impl Cache {
///     #[health_check]
///     fn health(&self) -> Health {
///         if self.warm { Health::healthy() } else { Health::degraded("cold cache") }
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let system = System::new();
/// let cache = system.spawn(|| Cache { warm: false });
/// let report = system.health().await;
/// assert_eq!(report.status(), HealthStatus::Degraded);
/// let entry = report.get(cache.id()).unwrap();
/// assert_eq!(entry.health().detail(), Some("cold cache"));
/// for process in &report {
///     println!("{:indent$}{process}", "", indent = 2 * process.depth());
/// }
/// # system.shutdown().await;
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthReport {
    status: HealthStatus,
    processes: Vec<ProcessHealth>,
    shutting_down: bool,
    timeout: Duration,
}

impl HealthReport {
    pub(crate) fn new(processes: Vec<ProcessHealth>, shutting_down: bool, timeout: Duration) -> Self {
        let worst = processes.iter().map(ProcessHealth::status).max();
        let status = if shutting_down {
            HealthStatus::Unhealthy
        } else {
            worst.unwrap_or(HealthStatus::Healthy)
        };
        Self {
            status,
            processes,
            shutting_down,
            timeout,
        }
    }

    /// The worst status of any process; [`HealthStatus::Unhealthy`] once
    /// the system is shutting down; healthy for a system with no process.
    pub fn status(&self) -> HealthStatus {
        self.status
    }

    /// Whether the status is [`HealthStatus::Healthy`].
    pub fn is_healthy(&self) -> bool {
        self.status == HealthStatus::Healthy
    }

    /// Whether the system was shutting down (or shut down) when the
    /// report was made.
    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down
    }

    /// How long each process had to answer its check.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The processes at the top of the tree, in start order; each holds
    /// its children.
    pub fn processes(&self) -> &[ProcessHealth] {
        &self.processes
    }

    /// Every process, depth first: each parent before its children,
    /// siblings in start order (the order of
    /// [`System::processes`](crate::System::processes)).
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            stack: vec![self.processes.iter()],
        }
    }

    /// The process with this id, anywhere in the tree.
    pub fn get(&self, id: ProcessId) -> Option<&ProcessHealth> {
        self.iter().find(|process| process.id == id)
    }

    /// The first process with this name, depth first.
    pub fn find(&self, name: &str) -> Option<&ProcessHealth> {
        self.iter().find(|process| &*process.name == name)
    }
}

impl<'a> IntoIterator for &'a HealthReport {
    type Item = &'a ProcessHealth;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl fmt::Display for HealthReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.status)?;
        if self.shutting_down {
            f.write_str(": the system is shutting down")?;
        }
        for process in self {
            write!(f, "\n{:indent$}{process}", "", indent = 2 * (process.depth + 1))?;
        }
        Ok(())
    }
}

/// The processes of a [`HealthReport`], depth first; from
/// [`HealthReport::iter`].
#[derive(Debug, Clone)]
pub struct Iter<'a> {
    stack: Vec<std::slice::Iter<'a, ProcessHealth>>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a ProcessHealth;

    fn next(&mut self) -> Option<&'a ProcessHealth> {
        loop {
            let siblings = self.stack.last_mut()?;
            match siblings.next() {
                Some(process) => {
                    self.stack.push(process.children.iter());
                    return Some(process);
                }
                None => {
                    self.stack.pop();
                }
            }
        }
    }
}

/// One process in a [`HealthReport`]: its own health, and its children's.
///
/// [`health`](Self::health) is the process's own: what its
/// `#[health_check]` answered, or why it did not, or what its place in its
/// life says (a process without a check is healthy while it runs).
/// [`status`](Self::status) is the worst of its own and its descendants':
/// a supervisor is as healthy as its least healthy child.
///
/// Printed with `{}`: `name#id kind: health`, with `(no check)` for a
/// process without one and the status below it when that is worse:
/// `Shop#1 supervisor: healthy (no check); unhealthy below`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessHealth {
    pub(crate) id: ProcessId,
    pub(crate) name: Arc<str>,
    pub(crate) kind: ProcessKind,
    pub(crate) lifecycle: Status,
    pub(crate) health: Health,
    pub(crate) has_check: bool,
    pub(crate) status: HealthStatus,
    pub(crate) depth: usize,
    pub(crate) children: Vec<ProcessHealth>,
}

impl ProcessHealth {
    /// The worst of `health`'s status and those of `children`.
    pub(crate) fn worst(health: &Health, children: &[ProcessHealth]) -> HealthStatus {
        children
            .iter()
            .map(Self::status)
            .fold(health.status(), HealthStatus::max)
    }

    /// The process's id.
    pub fn id(&self) -> ProcessId {
        self.id
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A plain process, a supervisor or a pool.
    pub fn kind(&self) -> ProcessKind {
        self.kind
    }

    /// Where it was in its life when the walk reached it.
    pub fn lifecycle(&self) -> Status {
        self.lifecycle
    }

    /// Its own health: its check's answer, or why there is none.
    pub fn health(&self) -> &Health {
        &self.health
    }

    /// Whether its impl has a `#[health_check]`.
    pub fn has_check(&self) -> bool {
        self.has_check
    }

    /// The worst of its own status and its descendants'.
    pub fn status(&self) -> HealthStatus {
        self.status
    }

    /// Why [`status`](Self::status) is not healthy: its own detail when
    /// its own health is the worst, or else the first descendant's that
    /// is, named (`"db: did not answer within 1s"`). `None` when healthy.
    pub fn why(&self) -> Option<String> {
        if self.status == HealthStatus::Healthy {
            return None;
        }
        if self.health.status() == self.status {
            return Some(self.health.detail().unwrap_or(self.status.as_str()).to_owned());
        }
        let child = self.children.iter().find(|child| child.status == self.status)?;
        Some(format!("{}: {}", child.name, child.why()?))
    }

    /// How deep in the tree it is: 0 at the top.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Its children, in start order: a supervisor's, a pool's members, or
    /// those a process spawned.
    pub fn children(&self) -> &[ProcessHealth] {
        &self.children
    }
}

impl fmt::Display for ProcessHealth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{} {}: {}", self.name, self.id.get(), self.kind, self.health)?;
        if !self.has_check {
            f.write_str(" (no check)")?;
        }
        if self.status > self.health.status() {
            write!(f, "; {} below", self.status)?;
        }
        Ok(())
    }
}
