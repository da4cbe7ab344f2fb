//! The task behind each process: start, serve, crash, restart, stop.

use std::collections::VecDeque;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tracing::Instrument;

use crate::event::{EventKind, StopReason};
use crate::fault::Fault;
use crate::kernel::addr::{Addr, Shared};
use crate::kernel::ctx::Ctx;
use crate::kernel::current::isolated;
use crate::kernel::link::Command;
use crate::kernel::process::{Message, Process, Status};
use crate::kernel::reply::NoReply;
use crate::kernel::tree::Core;
use crate::kernel::watch::Down;
use crate::options::{RestartLimit, Settings};
use crate::panic::{catch_panics, panic_message, quietly};

pub(crate) async fn run<T: Process>(
    shared: Arc<Shared<T::Message>>,
    factory: impl Fn() -> Result<T, Arc<str>> + Send + Sync + 'static,
    settings: Settings,
) {
    let addr = Addr::new(shared);
    let core = addr.core();
    let mut restarts = RestartWindow::new(settings.max_restarts);
    let reason = loop {
        if core.stop_requested() {
            break StopReason::Shutdown;
        }
        // A supervised child taken down again by a group restart before its
        // next instance started (in its backoff, say) reports at once, with
        // no instance: its supervisor is waiting for that report.
        let reason = if core.recycle_pending() {
            StopReason::Shutdown
        } else {
            // Everything of the user's (factory, hooks, handlers, the drop
            // of the state) runs inside this boundary: a panic anywhere in
            // it is a crash of this instance, never of the runtime's task.
            let reason = match isolated(core, run_instance(&addr, &factory, &settings)).await {
                Ok(reason) => reason,
                Err(message) => crash(&addr, None, message),
            };
            // Watches belong to the instance that made them (Erlang's
            // monitors die with their process): the next one starts from
            // fresh state, and watches again if it wants to. Every instance
            // ends here, so no watch outlives its watcher.
            core.watching.clear(core.id);
            // Replies this instance gave may not be the next one's: the
            // cache empties now, not at the restart after the backoff.
            if let Some(caches) = core.caches.get() {
                caches.clear_all();
            }
            reason
        };
        if core.stop_requested() {
            break reason;
        }
        if let Some(link) = core.link.get() {
            let recycled = core.take_recycle();
            match link.report(core, reason.clone(), recycled).await {
                Command::Restart { attempt, delay } => {
                    if !delay.is_zero() {
                        core.set_status(Status::Restarting);
                        addr.publish(EventKind::Restarting { attempt, delay });
                        // A stop, or a recycle, ends the backoff early.
                        tokio::select! {
                            () = core.system.clock.sleep(delay) => {}
                            () = core.stopping() => {}
                        }
                    }
                    continue;
                }
                Command::Stop => break reason,
            }
        }
        // A supervisor that escalates with no supervisor above it: the
        // subtree stops, as its events say.
        if matches!(reason, StopReason::Escalated { .. }) {
            break reason;
        }
        if !settings.restart.restarts_after(&reason) || core.stop_requested() {
            break reason;
        }
        let Some(attempt) = restarts.record(core.system.clock.now()) else {
            let RestartLimit { max_restarts, within } = settings.max_restarts;
            addr.publish(EventKind::RestartLimitReached { max_restarts, within });
            break reason;
        };
        let delay = settings.backoff.delay(attempt, core.system.random());
        core.set_status(Status::Restarting);
        addr.publish(EventKind::Restarting { attempt, delay });
        // No backoff, no timer: a zero sleep still waits for the timer
        // wheel's next tick (a millisecond on tokio's real clock). A stop
        // requested meanwhile is seen at the top of the loop.
        if !delay.is_zero() {
            tokio::select! {
                () = core.system.clock.sleep(delay) => {}
                () = core.stopping() => break StopReason::Shutdown,
            }
        }
    };
    // A supervised child that stopped for good on its own account tells
    // its supervisor, which would otherwise wait for it at its next group
    // restart. (One told to stop knows already; telling again is harmless.)
    if let Some(link) = core.link.get() {
        link.gone();
    }
    // A supervisor keeps its children across its own restarts; they end
    // with it.
    if let Some(supervision) = core.supervision.get() {
        supervision.abandon_reserved();
    }
    core.children.stop_all().await;
    finish(&addr, reason);
}

/// One instance: from building fresh state to its stop hook.
async fn run_instance<T: Process>(
    addr: &Addr<T::Message>,
    factory: &impl Fn() -> Result<T, Arc<str>>,
    settings: &Settings,
) -> StopReason {
    let core = addr.core();
    core.set_status(Status::Starting);
    core.instance_started();
    // A recycle that cancelled the last instance's handler left its poke
    // for a receive that never came: left set, it would end this instance
    // at its first receive. (A crash injected meanwhile, or a recycle
    // pending for this instance, keeps its poke.)
    if !core.crash_pending() && !core.recycle_pending() {
        addr.shared().mailbox.unpoke();
    }
    let built =
        std::panic::catch_unwind(AssertUnwindSafe(factory)).unwrap_or_else(|payload| Err(panic_message(payload)));
    let mut state = match built {
        Ok(state) => state,
        Err(message) => {
            addr.publish(EventKind::Panicked {
                method: None,
                message: message.clone(),
            });
            return StopReason::StartFailed { error: message };
        }
    };
    let mut ctx = Ctx::new(addr.node());
    let grace = settings.shutdown_timeout;
    // An event-sourced process first rebuilds its state from its journal;
    // for any other, this is ready at once.
    let recovered = within_grace(core, grace, pin!(catch_panics(state.__recover(&mut ctx)))).await;
    let started = match recovered {
        Some(Ok(Ok(()))) => within_grace(core, grace, pin!(catch_panics(state.__on_start(&mut ctx)))).await,
        not_recovered => not_recovered,
    };
    let reason = match started {
        None => StopReason::Shutdown,
        Some(Err(message)) => {
            addr.publish(EventKind::Panicked {
                method: None,
                message: message.clone(),
            });
            StopReason::StartFailed { error: message }
        }
        Some(Ok(Err(error))) => {
            let error: Arc<str> = error.into();
            addr.publish(EventKind::StartFailed { error: error.clone() });
            StopReason::StartFailed { error }
        }
        Some(Ok(Ok(()))) => {
            core.set_status(Status::Running);
            core.set_serving_since(Some(core.system.clock.now()));
            addr.publish(EventKind::Started);
            let reason = serve(&mut state, &mut ctx, addr, grace).await;
            core.set_status(Status::Stopping);
            core.set_serving_since(None);
            stop_instance_children(core).await;
            let stop_hook = catch_panics(state.__on_stop(&mut ctx, reason.clone()));
            match run_for(core, grace, stop_hook).await {
                None => tracing::warn!(
                    target: "phyx", process = %core.name, id = core.id.get(),
                    "stop hook abandoned after {grace:?}"
                ),
                Some(Err(message)) => addr.publish(EventKind::Panicked { method: None, message }),
                Some(Ok(())) => {}
            }
            reason
        }
    };
    // Children spawned by a start hook that failed, or by the stop hook.
    stop_instance_children(core).await;
    reason
}

/// Children stop with the instance that spawned them; a supervisor's
/// children wait for its next instance, unless it stops for good.
async fn stop_instance_children(core: &Core) {
    if core.supervision.get().is_none() || core.stop_requested() {
        core.children.stop_all().await;
    }
}

/// Handles messages one at a time until the instance ends.
async fn serve<T: Process>(state: &mut T, ctx: &mut Ctx<T>, addr: &Addr<T::Message>, grace: Duration) -> StopReason {
    let core = addr.core();
    let mailbox = &addr.shared().mailbox;
    loop {
        let Some(mut message) = mailbox.recv().await else {
            // Woken without a message: stopped, or crashed from outside.
            return match core.take_crash() {
                Some(message) => crash(addr, None, message),
                None => StopReason::Shutdown,
            };
        };
        let method = message.method();
        match core
            .system
            .faults
            .as_ref()
            .and_then(|faults| faults.before_handle(core.id, method))
        {
            None => {}
            Some(Fault::Panic(panic)) => {
                let panic: Arc<str> = panic.into();
                message.__no_reply(NoReply::Panicked(panic.clone()));
                return crash(addr, Some(method), panic);
            }
            Some(Fault::Wait(mut wait)) => {
                let Some(()) = within_grace(core, grace, wait.as_mut()).await else {
                    return StopReason::Shutdown;
                };
            }
        }
        // A traced method's handler makes its own span (`phyx::trace`);
        // in a process without traced methods, `__trace` is `None` here
        // and this is the one span of every message.
        let span = if message.__trace().is_some() {
            tracing::Span::none()
        } else {
            tracing::debug_span!("phyx.handle", process = %core.name, method)
        };
        #[cfg(feature = "metrics")]
        let started = core.system.clock.now();
        core.set_busy(true);
        // With no subscriber interested the span is a no-op; not wrapping
        // the handler in it spares entering and leaving it at every poll.
        let handled = if span.is_disabled() {
            within_grace(core, grace, pin!(state.__handle(ctx, message))).await
        } else {
            within_grace(core, grace, pin!(state.__handle(ctx, message).instrument(span))).await
        };
        core.set_busy(false);
        match handled {
            None => {
                if core.stop_requested() {
                    tracing::warn!(
                        target: "phyx", process = %core.name, id = core.id.get(), method,
                        "handler abandoned {grace:?} after a stop request"
                    );
                } else {
                    tracing::debug!(
                        target: "phyx", process = %core.name, id = core.id.get(), method,
                        "handler cancelled by its supervisor's group restart"
                    );
                }
                return StopReason::Shutdown;
            }
            Some(Err(panic)) => return crash(addr, Some(method), panic.message),
            Some(Ok(())) => {}
        }
        #[cfg(feature = "metrics")]
        crate::meter::handled(&core.name, method, core.system.clock.now() - started, mailbox.len());
        if let Some(reason) = ctx.take_ending() {
            if let StopReason::Escalated { reason } = &reason {
                addr.publish(EventKind::Escalated { reason: reason.clone() });
            }
            return reason;
        }
        if ctx.stop_requested() {
            return StopReason::Normal;
        }
    }
}

fn crash<M: Message>(addr: &Addr<M>, method: Option<&'static str>, message: Arc<str>) -> StopReason {
    addr.publish(EventKind::Panicked {
        method,
        message: message.clone(),
    });
    StopReason::Panicked { message }
}

/// Runs `future` to completion unless a stop is requested meanwhile and it
/// then takes longer than `grace` more, or the instance is recycled for a
/// supervisor's group restart, which cancels it at once.
///
/// A group restart gives no grace because the sibling it takes down may be
/// waiting on the very child whose crash started it, whose mailbox drains
/// only once the group has restarted: waiting for it would stall the whole
/// group for the shutdown timeout.
///
/// The future is pinned by the caller and borrowed here, so it is stored
/// once, in the caller's state: this runs around every message, and its
/// size is part of every idle process's.
async fn within_grace<F: Future + ?Sized>(core: &Core, grace: Duration, future: Pin<&mut F>) -> Option<F::Output> {
    tokio::select! {
        biased;
        output = future => Some(output),
        () = async {
            core.stopping().await;
            if core.stop_requested() {
                core.system.clock.sleep(grace).await;
            }
        } => None,
    }
}

/// Runs `future` for at most `limit` on the system's clock.
async fn run_for<F: Future>(core: &Core, limit: Duration, future: F) -> Option<F::Output> {
    tokio::select! {
        biased;
        output = future => Some(output),
        () = core.system.clock.sleep(limit) => None,
    }
}

/// The end of a process: refuse new messages, fail the queued ones, leave
/// the tree.
pub(crate) fn finish<M: Message>(addr: &Addr<M>, reason: StopReason) {
    let core = addr.core();
    core.set_status(Status::Stopping);
    // A pool member's queue goes back to its pool, for the live members.
    let pool = core
        .parent
        .as_ref()
        .filter(|parent| parent.core().pool.get().is_some())
        .and_then(|parent| Addr::<M>::of(parent.clone()));
    for message in addr.shared().mailbox.close() {
        // Past the pool's capacity if need be: these were accepted once,
        // and the member's mailbox bounds how many come back.
        let message = match &pool {
            Some(pool) => match pool.requeue(message) {
                Ok(()) => continue,
                Err(message) => message,
            },
            None => message,
        };
        quietly(|| message.__no_reply(NoReply::Stopped));
    }
    core.siblings().remove(core.id);
    // Before `mark_stopped`: whoever waited for the stop finds the name
    // released and the `Down` on its way.
    let down = Down {
        id: core.id,
        name: core.name.clone(),
        reason: reason.clone(),
    };
    core.watchers.close(&down);
    addr.publish(EventKind::Stopped { reason });
    core.mark_stopped();
}

/// Restarts within the sliding window, to enforce the restart limit and
/// number backoff attempts.
pub(crate) struct RestartWindow {
    max_restarts: u32,
    within: Duration,
    restarts: VecDeque<Instant>,
}

impl RestartWindow {
    pub(crate) fn new(RestartLimit { max_restarts, within }: RestartLimit) -> Self {
        Self {
            max_restarts,
            within,
            restarts: VecDeque::new(),
        }
    }

    /// Records a restart at `now`: its attempt number within the window,
    /// or `None` if it exceeds the limit.
    pub(crate) fn record(&mut self, now: Instant) -> Option<u32> {
        let attempt = self.count(now);
        (attempt <= self.max_restarts).then_some(attempt)
    }

    /// Records a restart at `now`: its attempt number within the window,
    /// whatever the limit.
    pub(crate) fn count(&mut self, now: Instant) -> u32 {
        while let Some(&oldest) = self.restarts.front() {
            if now.duration_since(oldest) < self.within {
                break;
            }
            self.restarts.pop_front();
        }
        self.restarts.push_back(now);
        u32::try_from(self.restarts.len()).unwrap_or(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restart_window_allows_max_then_refuses() {
        let start = crate::clock::Clock::now(&crate::TokioClock);
        let mut window = RestartWindow::new(RestartLimit::new(2, Duration::from_secs(10)));
        assert_eq!(window.record(start), Some(1));
        assert_eq!(window.record(start + Duration::from_secs(1)), Some(2));
        assert_eq!(window.record(start + Duration::from_secs(2)), None);
    }

    #[test]
    fn counting_goes_past_the_limit() {
        let start = crate::clock::Clock::now(&crate::TokioClock);
        let mut window = RestartWindow::new(RestartLimit::new(1, Duration::from_secs(10)));
        assert_eq!(window.count(start), 1);
        assert_eq!(window.count(start), 2);
        assert_eq!(window.count(start + Duration::from_secs(10)), 1);
    }

    #[test]
    fn restart_window_forgets_old_restarts() {
        let start = crate::clock::Clock::now(&crate::TokioClock);
        let mut window = RestartWindow::new(RestartLimit::new(1, Duration::from_secs(10)));
        assert_eq!(window.record(start), Some(1));
        assert_eq!(window.record(start + Duration::from_secs(10)), Some(1));
    }
}
