//! The walk behind `System::health`: every live process at once, each
//! with a check asked through its mailbox, all bounded by one timeout on
//! the system's clock.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::health::report::{HealthReport, ProcessHealth};
use crate::kernel::health::{Answer, Health, Pending};
use crate::kernel::process::Status;
use crate::kernel::reply::{NoReply, Unreachable};
use crate::kernel::system::SystemInner;
use crate::kernel::tree::{AnyProcess, Children};
use crate::kernel::view::{ProcessKind, kind};

/// A health check of every process of a system, from
/// [`System::health`](crate::System::health); nothing is asked until it is
/// awaited.
///
/// Awaited, it walks the running tree and asks every process that has a
/// `#[health_check]` at once, each through its mailbox (so a process
/// stuck in a handler is seen as stuck), and waits for their answers for
/// at most the [timeout](Self::timeout) on the system's clock. It never
/// fails: a process that does not answer in time is unhealthy in the
/// report, and so is one whose check panics.
#[must_use = "a health check asks nothing until it is awaited"]
pub struct Checkup {
    system: Arc<SystemInner>,
    timeout: Duration,
}

impl Checkup {
    /// How long processes have to answer unless
    /// [`timeout`](Self::timeout) says otherwise: one second.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1);

    pub(crate) fn new(system: Arc<SystemInner>) -> Self {
        Self {
            system,
            timeout: Self::DEFAULT_TIMEOUT,
        }
    }

    /// How long every process has to answer its check, all of them at
    /// once, on the system's clock ([`DEFAULT_TIMEOUT`](Self::DEFAULT_TIMEOUT)
    /// by default). A process that has not answered by then is unhealthy:
    /// `did not answer within 1s`.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

impl std::fmt::Debug for Checkup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checkup")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl IntoFuture for Checkup {
    type Output = HealthReport;
    type IntoFuture = Checking;

    fn into_future(self) -> Checking {
        Checking {
            walk: Box::pin(walk(self.system, self.timeout)),
        }
    }
}

/// The future of an awaited [`Checkup`]: resolves to the
/// [`HealthReport`] within the checkup's timeout.
///
/// # Cancel safety
///
/// Dropping it stops waiting; checks already queued still run, and a
/// checkup made meanwhile waits for their answers instead of queueing
/// more.
#[must_use = "futures do nothing unless polled"]
pub struct Checking {
    walk: Pin<Box<dyn Future<Output = HealthReport> + Send>>,
}

impl Future for Checking {
    type Output = HealthReport;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<HealthReport> {
        self.walk.as_mut().poll(cx)
    }
}

impl std::fmt::Debug for Checking {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checking").finish_non_exhaustive()
    }
}

async fn walk(system: Arc<SystemInner>, timeout: Duration) -> HealthReport {
    let shutting_down = system.shutting_down.is_raised();
    let asked_at = system.clock.now();
    let mut tree = Vec::new();
    plan(&system.root, 0, &mut tree);
    let mut pending = Vec::new();
    for node in &tree {
        node.pending(&mut pending);
    }
    // Every check is queued already and runs in its own process: waiting
    // for them in turn takes as long as the slowest.
    let answers = async {
        for check in &pending {
            check.answered().await;
        }
    };
    tokio::select! {
        biased;
        () = answers => {}
        () = system.clock.sleep(timeout) => {}
    }
    let late = Late { timeout, asked_at };
    let processes = tree.into_iter().map(|node| node.settle(&late)).collect();
    HealthReport::new(processes, shutting_down, timeout)
}

/// A live process as the walk found it, its own health known or asked.
struct Planned {
    process: Arc<dyn AnyProcess>,
    kind: ProcessKind,
    lifecycle: Status,
    own: Own,
    depth: usize,
    children: Vec<Planned>,
}

enum Own {
    Known(Health),
    Asked(Arc<Pending>),
}

/// The live processes among `children`, their checks asked.
fn plan(children: &Children, depth: usize, planned: &mut Vec<Planned>) {
    for process in children.list() {
        let core = process.core();
        let lifecycle = core.status();
        if lifecycle == Status::Stopped {
            continue;
        }
        let kind = kind(&*process);
        let own = match lifecycle {
            Status::Stopping => Own::Known(Health::unhealthy("stopping")),
            // Not asked: its next instance is a backoff away, and a check
            // queued now would wait for it.
            Status::Restarting => Own::Known(Health::degraded(format!(
                "restarting after a crash ({} restarts so far)",
                core.restarts()
            ))),
            // A pool's router would hand the check to a member; its
            // members are its children, each asked for itself.
            _ if kind == ProcessKind::Pool => Own::Known(Health::healthy()),
            // Asked from its own handler, it could answer only once that
            // handler returns: it is running that handler.
            _ if crate::kernel::current::is(core) && process.has_health_check() => {
                Own::Known(Health::healthy().with_detail("not checked: this process is the one asking for the report"))
            }
            _ => match process.ask_health() {
                Some(pending) => Own::Asked(pending),
                None if lifecycle == Status::Starting => Own::Known(Health::degraded("starting")),
                None => Own::Known(Health::healthy()),
            },
        };
        let mut grandchildren = Vec::new();
        plan(&core.children, depth + 1, &mut grandchildren);
        planned.push(Planned {
            kind,
            lifecycle,
            own,
            depth,
            children: grandchildren,
            process,
        });
    }
}

/// What a check that has not answered is told.
struct Late {
    timeout: Duration,
    asked_at: Instant,
}

impl Planned {
    /// The checks this node and its descendants wait for.
    fn pending(&self, into: &mut Vec<Arc<Pending>>) {
        if let Own::Asked(pending) = &self.own {
            into.push(pending.clone());
        }
        for child in &self.children {
            child.pending(into);
        }
    }

    fn settle(self, late: &Late) -> ProcessHealth {
        let core = self.process.core();
        // A pool's router shares its members' messages, check and all, but
        // is never asked: the members are.
        let has_check = self.kind != ProcessKind::Pool && self.process.has_health_check();
        let health = match self.own {
            Own::Known(health) => health,
            Own::Asked(pending) => match pending.answer() {
                Some(Answer::Health(health)) => health,
                Some(Answer::None(why)) => Health::unhealthy(no_answer(&why)),
                None => Health::unhealthy(not_in_time(late, &pending)),
            },
        };
        let children: Vec<ProcessHealth> = self.children.into_iter().map(|child| child.settle(late)).collect();
        ProcessHealth {
            id: core.id,
            name: core.name.clone(),
            kind: self.kind,
            lifecycle: self.lifecycle,
            status: ProcessHealth::worst(&health, &children),
            health,
            has_check,
            depth: self.depth,
            children,
        }
    }
}

fn not_in_time(late: &Late, pending: &Pending) -> String {
    let timeout = late.timeout;
    match late.asked_at.checked_duration_since(pending.since) {
        // Queued by an earlier report, and unanswered since.
        Some(waited) if !waited.is_zero() => format!(
            "did not answer within {timeout:?} (its check has waited {:?})",
            waited + timeout
        ),
        _ => format!("did not answer within {timeout:?}"),
    }
}

fn no_answer(why: &NoReply) -> String {
    match why {
        NoReply::Panicked(message) => format!("its health check panicked: {message}"),
        NoReply::Stopped | NoReply::Unreachable(Unreachable::Stopped) => {
            "it stopped before its health check ran".to_owned()
        }
        NoReply::ReplyDropped => {
            "its health check was cancelled before it answered (the process restarted or stopped)".to_owned()
        }
        NoReply::Dropped | NoReply::Unreachable(Unreachable::Full) => {
            "its health check did not fit in its mailbox".to_owned()
        }
        NoReply::Unreachable(Unreachable::NodeDown(node)) => format!("its node `{node}` is down"),
        NoReply::Unreachable(Unreachable::Transport(reason)) => {
            format!("its health check did not reach it: {reason}")
        }
    }
}
