//! The child's side of supervision: how a supervised process reports the
//! end of an instance and learns what to do next, and the seam through
//! which the supervisor module plugs its strategy into the kernel.

use std::any::Any;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;

use crate::event::StopReason;
use crate::kernel::addr::{Addr, Shared};
use crate::kernel::process::{Message, Process};
use crate::kernel::system::SystemInner;
use crate::kernel::tree::{AnyProcess, Core};

/// What a supervised child does after an instance ended.
pub(crate) enum Command {
    Restart { attempt: u32, delay: Duration },
    Stop,
}

/// A child's end of the link to its supervisor.
pub(crate) struct Link {
    pub(crate) sink: Arc<dyn ExitSink>,
    pub(crate) index: usize,
}

impl Link {
    /// Tells the supervisor an instance ended and waits for what to do; a
    /// stop for good, or a supervisor gone, means stop.
    pub(crate) async fn report(&self, core: &Core, reason: StopReason, recycled: bool) -> Command {
        let (reply, command) = oneshot::channel();
        let exit = Exit {
            index: self.index,
            reason,
            recycled,
            gone: false,
            reply,
        };
        if !self.sink.deliver(exit) {
            return Command::Stop;
        }
        tokio::select! {
            command = command => command.unwrap_or(Command::Stop),
            () = core.stopping_for_good() => Command::Stop,
        }
    }

    /// Tells the supervisor the child has stopped for good without being
    /// told to (stopped from outside, or past its own restart limit), so
    /// that no group restart waits for it.
    pub(crate) fn gone(&self) {
        let (reply, _) = oneshot::channel();
        let exit = Exit {
            index: self.index,
            reason: StopReason::Shutdown,
            recycled: false,
            gone: true,
            reply,
        };
        // A supervisor that is gone itself needs no telling.
        let _ = self.sink.deliver(exit);
    }
}

/// Where a child's exits go: its supervisor's mailbox.
pub(crate) trait ExitSink: Send + Sync {
    fn deliver(&self, exit: Exit) -> bool;
}

impl<M: Message + From<SupervisorMsg>> ExitSink for Addr<M> {
    fn deliver(&self, exit: Exit) -> bool {
        self.try_deliver(M::from(SupervisorMsg(exit))).is_ok()
    }
}

/// The message a supervisor handles: a child's instance ended.
#[doc(hidden)]
pub struct SupervisorMsg(pub(crate) Exit);

/// An instance of child `index` ended (`recycled` if its supervisor ended
/// it), or the child is `gone` for good.
pub(crate) struct Exit {
    pub(crate) index: usize,
    pub(crate) reason: StopReason,
    pub(crate) recycled: bool,
    /// The child has stopped for good and expects no command.
    pub(crate) gone: bool,
    pub(crate) reply: oneshot::Sender<Command>,
}

impl fmt::Debug for SupervisorMsg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SupervisorMsg")
            .field("child", &self.0.index)
            .field("reason", &self.0.reason)
            .finish()
    }
}

/// A supervisor's children and strategy, as the kernel needs them: the
/// supervisor module implements it.
pub(crate) trait Supervise: Send + Sync + 'static {
    /// The address of child `index`.
    fn child(&self, index: usize) -> Option<Arc<dyn AnyProcess>>;

    /// Ends children whose tasks never started; on the supervisor's end.
    fn abandon_reserved(&self);

    /// The concrete supervision, for the supervisor module.
    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync>;
}

/// What `#[supervisor]` declares, as the kernel carries it from the
/// generated `Process::__supervision` to the process being made: a plan
/// only the supervisor module reads, and the function that sets it up.
#[doc(hidden)]
pub struct SupervisorSpec<S: Process> {
    pub(crate) plan: Plan,
    pub(crate) reserve: Reserve<S::Message>,
}

/// Sets up a plan's supervision of the process behind an address.
pub(crate) type Reserve<M> = fn(Plan, &Arc<SystemInner>, &Arc<Shared<M>>);

/// The supervisor module's plan, opaque to the kernel.
pub(crate) type Plan = Box<dyn Any + Send>;

impl<S: Process> SupervisorSpec<S> {
    /// Sets up the supervision of the process behind `shared`: its
    /// children get addresses now, and tasks when it starts.
    pub(crate) fn reserve(self, system: &Arc<SystemInner>, shared: &Arc<Shared<S::Message>>) {
        (self.reserve)(self.plan, system, shared);
    }
}
