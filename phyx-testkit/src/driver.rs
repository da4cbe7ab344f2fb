//! The one task that moves a test system's time.
//!
//! One time line: the [`VirtualClock`] reads tokio's paused clock, and only
//! this task moves it (with `tokio::time::advance`, or by letting tokio's
//! auto-advance run), so phyx's timers and tokio's own agree on what time it
//! is. phyx's timers wait in the clock's heap and fire at their exact
//! instant; tokio's wait in tokio's wheel, which only this task knows how
//! to find the next of: when the runtime is idle and the clock paused, tokio
//! moves it to its next timer itself. So to move from `now` to the next
//! phyx deadline, the driver sets a tokio timer of its own there, a bound,
//! and lets tokio's auto-advance run: it stops at the earliest of a tokio
//! timer and the bound, and tokio's timers fire in deadline order among
//! phyx's.
//!
//! The wheel counts whole milliseconds and rounds deadlines up to the next
//! one, and auto-advance moves by whole milliseconds: the clock starts on
//! one ([`paused::align`]), bounds are set on them, and moves between them
//! (to a phyx timer between two milliseconds) are made with
//! `tokio::time::advance`, never crossing a millisecond that a tokio timer
//! could be due on without stopping there.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::Poll;
use std::time::Instant;

use phyx::Clock;
use tokio::sync::{Notify, oneshot};

use crate::clock::VirtualClock;
use crate::idle::IdleProbe;
use crate::paused::Grid;

/// What `advance` and `settle` ask of the driver.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Goal {
    /// Run until idle, at this instant.
    Settle,
    /// Move to this instant, firing every timer on the way, each at its
    /// instant, and run until idle there.
    Until(Instant),
}

/// The requests to the driver task, in order.
#[derive(Default)]
pub(crate) struct Requests {
    queue: Mutex<VecDeque<Request>>,
    next_id: AtomicU64,
    changed: Notify,
}

struct Request {
    id: u64,
    goal: Goal,
    done: oneshot::Sender<()>,
}

impl Requests {
    /// Has the driver reach `goal`; resolves once it has.
    ///
    /// # Cancel safety
    ///
    /// Dropped before it resolves, the request is withdrawn: time stops
    /// moving toward its goal.
    ///
    /// # Panics
    ///
    /// If the driver task is gone (its runtime is shutting down).
    pub(crate) async fn reach(&self, goal: Goal) {
        let (done, reached) = oneshot::channel();
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.queue().push_back(Request { id, goal, done });
        self.changed.notify_one();
        let mut withdraw = Withdraw {
            requests: self,
            id: Some(id),
        };
        let reached = reached.await;
        // Met, or the driver is gone: nothing left to withdraw.
        withdraw.id = None;
        if reached.is_err() {
            panic!("the test system's time driver is gone: is its runtime shutting down?");
        }
    }

    fn queue(&self) -> MutexGuard<'_, VecDeque<Request>> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The oldest request's goal; `None` when nobody asks.
    fn goal(&self) -> Option<Goal> {
        self.queue().front().map(|request| request.goal)
    }

    /// The oldest request is met.
    fn reached(&self) {
        if let Some(request) = self.queue().pop_front() {
            // Its caller may have stopped waiting (a dropped future).
            let _ = request.done.send(());
        }
    }
}

/// Withdraws a request whose caller stopped waiting.
struct Withdraw<'a> {
    requests: &'a Requests,
    /// `None` once there is nothing to withdraw.
    id: Option<u64>,
}

impl Drop for Withdraw<'_> {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            self.requests.queue().retain(|request| request.id != id);
            self.requests.changed.notify_one();
        }
    }
}

/// Moves `clock`'s time for as long as the test system lives: to each goal
/// asked for, and, when nobody asks and every task waits, to the next timer
/// (phyx's or tokio's), as tokio's paused clock would.
pub(crate) async fn drive(clock: VirtualClock, grid: Grid, idle: IdleProbe, requests: Arc<Requests>) {
    // Timers due where `paused::align` moved the clock fire in the park
    // this yields to, before the first look for an idle moment (which
    // cannot tell them apart from the idle park they fire in).
    tokio::task::yield_now().await;
    loop {
        // What can run at this instant runs before time moves on.
        if first(idle.wait(), requests.changed.notified()).await.is_second() {
            continue;
        }
        // Timers due now fire, and what they wake runs at this instant too.
        if clock.fire_due() > 0 {
            continue;
        }
        let now = clock.now();
        let next = match requests.goal() {
            Some(Goal::Settle) => {
                requests.reached();
                continue;
            }
            Some(Goal::Until(target)) => {
                let next = clock.next_deadline().map_or(target, |deadline| deadline.min(target));
                if next <= now {
                    requests.reached();
                    continue;
                }
                Some(next)
            }
            None => clock.next_deadline(),
        };
        // Onto tokio's next whole millisecond first, where a tokio timer may
        // be due, so that auto-advance from there lands on them exactly.
        let ceil = grid.ceil(now);
        if ceil != now && next.is_none_or(|next| ceil <= next) {
            tokio::time::advance(ceil - now).await;
            continue;
        }
        let Some(next) = next else {
            // No phyx timer: tokio's auto-advance moves to its next timer,
            // if it has one, and its clock is this one.
            first(clock.timer_set(), requests.changed.notified()).await;
            continue;
        };
        let bound = grid.floor(next);
        if bound > now {
            // Auto-advance stops at a tokio timer before the bound, where it
            // fires, or at the bound. A phyx timer set meanwhile, or a new
            // goal, may move the bound.
            let bound = tokio::time::sleep_until(bound.into());
            let interrupted = first(bound, first(clock.timer_set(), requests.changed.notified()));
            interrupted.await;
            continue;
        }
        // Within one millisecond of the wheel: no tokio timer is due before
        // its end, and `next` is before it.
        tokio::time::advance(next - now).await;
    }
}

/// Which of two futures finished first.
enum First {
    First,
    Second,
}

impl First {
    fn is_second(&self) -> bool {
        matches!(self, Self::Second)
    }
}

/// Polls both, `a` first, until one finishes.
async fn first<A: Future, B: Future>(a: A, b: B) -> First {
    let (mut a, mut b): (Pin<&mut A>, Pin<&mut B>) = (pin!(a), pin!(b));
    std::future::poll_fn(|cx| {
        if a.as_mut().poll(cx).is_ready() {
            Poll::Ready(First::First)
        } else if b.as_mut().poll(cx).is_ready() {
            Poll::Ready(First::Second)
        } else {
            Poll::Pending
        }
    })
    .await
}
