//! A call on a handle: asked (awaited) or told (sent).

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::oneshot;

use std::sync::Arc;

mod attach;
mod decided;
mod flatten;
mod outcome;
mod timer;
mod undo;

pub use crate::call::decided::{CacheArgument, CacheReply, Verdict, cache_lookup};
pub use crate::call::flatten::Flatten;

use crate::cache::{Cached, Fill};
use crate::call::decided::{Decided, Probe};
pub use crate::call::outcome::{Rejection, SagaReply};
pub use crate::call::timer::Timer;
pub use crate::call::undo::Undo;
use crate::clock::Sleep;
use crate::error::{CallError, SendError};
use crate::event::EventKind;
use crate::id::StepKey;
use crate::kernel::addr::{Addr, Refused};
use crate::kernel::process::{Handle, Message};
use crate::kernel::reply::{NoReply, ReplyTo, Sent};
use crate::resilience::{Limiter, MethodGuard, Permit};
use crate::trace::Traced;

/// A call of a `#[public]` method, returned by the handle's method of the
/// same name. `R` is the method's return type, `H` the handle it was made
/// from (`Call<u64, CounterRef>` for `counter.get()`).
///
/// Nothing is sent until the call is awaited (an ask, which waits for the
/// reply) or sent (a tell, which does not):
///
/// ```
/// # use phyx::prelude::*;
/// # #[derive(Default)] struct Counter { count: u64 }
/// # #[process] impl Counter {
/// #     #[public] fn increment(&mut self, by: u64) { self.count += by; }
/// #     #[public] fn get(&self) -> u64 { self.count }
/// # }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), phyx::CallError> {
/// # let system = System::new();
/// # let counter = system.spawn(Counter::default);
/// counter.increment(1).send()?; // tell: queued, not waited for
/// counter.increment(2).await?; // ask: waits until handled
/// let count = counter.get().timeout(std::time::Duration::from_secs(1)).await?;
/// assert_eq!(count, 3);
/// # Ok(())
/// # }
/// ```
#[must_use = "a call does nothing until it is awaited or sent"]
pub struct Call<R, H: Handle> {
    addr: Addr<H::Message>,
    message: H::Message,
    attach: fn(&mut H::Message, ReplyTo<R>),
    timeout: Option<Duration>,
    guard: Option<Guard<R>>,
    undo: Option<UndoOf<R, H>>,
    decided: Decided<R, H::Message>,
}

/// Builds the compensation of a successful call from its reply: see
/// `#[compensate]`.
pub(crate) type UndoOf<R, H> = fn(&Addr<<H as Handle>::Message>, &R, &StepKey) -> Option<Undo>;

/// A call as a saga step sees it; see [`Call::for_saga`].
pub(crate) struct ForSaga<R, H: Handle> {
    pub(crate) addr: Addr<H::Message>,
    pub(crate) method: &'static str,
    pub(crate) undo_of: Option<UndoOf<R, H>>,
    pub(crate) timeout: Option<Duration>,
}

/// The rate limit and breaker of a guarded method, for one call: which of
/// the process's guards (an index, so a call costs no lookup and no
/// reference count), the quota's key, and how to judge a reply.
struct Guard<R> {
    index: usize,
    key: u64,
    is_ok: fn(&R) -> bool,
}

impl<R: 'static, H: Handle> Call<R, H> {
    #[doc(hidden)]
    pub fn __new(addr: Addr<H::Message>, message: H::Message, attach: fn(&mut H::Message, ReplyTo<R>)) -> Self {
        Self {
            addr,
            message,
            attach,
            timeout: None,
            guard: None,
            undo: None,
            decided: Decided::Nothing,
        }
    }

    /// Refuses the call with `reason`, its validator's, if there is one:
    /// `#[validate]`.
    #[doc(hidden)]
    pub fn __validated(mut self, refusal: Option<Arc<str>>) -> Self {
        if let Some(reason) = refusal {
            self.decided = Decided::Invalid(reason);
        }
        self
    }

    /// Puts an ask of the call under its method's cache (`#[cache]`):
    /// `probe` looks it up when it is awaited; a hit is answered at once,
    /// a miss offers its reply to the cache. A call its validator refused
    /// stays refused.
    #[doc(hidden)]
    pub fn __cached(mut self, probe: Probe<R, H::Message>) -> Self {
        if let Decided::Nothing = self.decided {
            self.decided = Decided::Cached(probe);
        }
        self
    }

    /// Gives the call the compensation a saga records when it succeeds.
    #[doc(hidden)]
    pub fn __compensated(mut self, undo: UndoOf<R, H>) -> Self {
        self.undo = Some(undo);
        self
    }

    /// What a saga step needs before asking. The timeout is taken: the
    /// saga applies it itself, to keep listening for a late reply.
    pub(crate) fn for_saga(&mut self) -> ForSaga<R, H> {
        ForSaga {
            addr: self.addr.clone(),
            method: self.message.method(),
            undo_of: self.undo,
            timeout: self.timeout.take(),
        }
    }

    /// Puts the call under its method's `#[rate_limit]` and
    /// `#[circuit_breaker]`, the `index`th of the process's guarded methods:
    /// `key` picks a keyed quota, `is_ok` tells a successful reply from a
    /// failed one.
    #[doc(hidden)]
    pub fn __guarded(mut self, index: usize, key: u64, is_ok: fn(&R) -> bool) -> Self {
        self.guard = Some(Guard { index, key, is_ok });
        self
    }

    /// The call's guard and the method's live guards, if it has any.
    fn guard(&self) -> Option<(&Guard<R>, &Arc<MethodGuard>)> {
        let guard = self.guard.as_ref()?;
        let method = self.addr.core().guards.get()?.get(guard.index)?;
        Some((guard, method))
    }

    /// Bounds the ask: if no reply arrived `timeout` after it was first
    /// polled (time spent waiting for room in the mailbox, or for a rate
    /// limit, included), it fails with [`CallError::Timeout`]. Measured on
    /// the system's clock.
    ///
    /// The message itself is not withdrawn once queued: the process still
    /// handles it, and the late reply is discarded.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Tells: queues the message without waiting for room or for the
    /// handler. Whatever the handler returns is discarded; if it panics, the
    /// process restarts as usual.
    ///
    /// # Errors
    ///
    /// [`SendError::MailboxFull`] if the mailbox is full (and its policy is
    /// not [`Overflow::DropOldest`](crate::Overflow::DropOldest)), [`SendError::Stopped`] if the process
    /// has stopped, [`SendError::RateLimited`] or
    /// [`SendError::CircuitOpen`] if the method's guards refuse it,
    /// [`SendError::Invalid`] if its validator refuses the arguments. A
    /// tell of a `#[cache]` method is always sent: only asks are answered
    /// from the cache.
    pub fn send(mut self) -> Result<(), SendError> {
        capture_trace(&mut self.message);
        let method = self.message.method();
        self.refuse_if_invalid()?;
        if self.guard.is_some() {
            self.admit_tell(Quota::Take)?;
        }
        self.addr
            .try_deliver(self.message)
            .map_err(|refused| self.addr.send_error(method, refused))
    }

    /// Tells, waiting for room when the mailbox is full and its policy is
    /// [`Overflow::Backpressure`](crate::Overflow::Backpressure) (and for its rate limit when the method
    /// says `#[rate_limit(wait)]`); under the other policies it is
    /// [`send`](Self::send).
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send), except that a backpressured mailbox makes
    /// it wait instead of failing with [`SendError::MailboxFull`]; but a
    /// process telling itself gets `MailboxFull` at once, since only it
    /// could make the room it would wait for.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before it completes drops the message unsent.
    pub async fn send_wait(mut self) -> Result<(), SendError> {
        capture_trace(&mut self.message);
        let method = self.message.method();
        self.refuse_if_invalid()?;
        // A method without guards, the common case, skips admission.
        if self.guard.is_some() {
            let quota = match self.wait_for_rate() {
                Some(waiting) => {
                    waiting.await;
                    Quota::Taken
                }
                None => Quota::Take,
            };
            self.admit_tell(quota)?;
        }
        // A process on another node: its room is there.
        let message = match self.addr.send_wait_elsewhere(self.message) {
            Ok(waiting) => {
                return waiting
                    .await
                    .map_err(|why| self.addr.send_error(method, Refused::<()>::Unreachable(why)));
            }
            Err(message) => message,
        };
        // The common case, room at once, costs what `send` costs: no nested
        // future is built unless the mailbox is full.
        match self.addr.try_deliver(message) {
            // A process waiting for room in its own mailbox would wait
            // for itself: it gets `MailboxFull` at once, as `send` would.
            Err(Refused::Full(message))
                if self.addr.waits_for_room() && !crate::kernel::current::is(self.addr.core()) =>
            {
                self.addr.deliver(message).await
            }
            other => other,
        }
        .map_err(|refused| self.addr.send_error(method, refused))
    }

    /// Tells later: the message is queued once `delay` has passed on the
    /// system's clock, as [`send_wait`](Self::send_wait) would queue it
    /// then. A process schedules messages to itself this way:
    /// `ctx.myself().tick().send_after(Duration::from_secs(1))`.
    ///
    /// Returns a [`Timer`] to [cancel](Timer::cancel) the tell before it
    /// fires; dropping the `Timer` does not cancel it. The timer ends
    /// without sending if the process stops for good first (a restart does
    /// not end it) or the system shuts down. A refusal when it fires (a
    /// full mailbox under `Reject`, a rate limit, an open breaker) has no
    /// one to tell: the message is discarded, with the event a refusal
    /// records.
    ///
    /// # Errors
    ///
    /// [`SendError::Stopped`] if the process has already stopped.
    ///
    /// # Examples
    ///
    /// ```
    /// # use phyx::prelude::*;
    /// # use std::time::Duration;
    /// # struct Alarm;
    /// # #[process] impl Alarm { #[public] fn ring(&self) {} }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), phyx::SendError> {
    /// # let system = System::new();
    /// # let alarm = system.spawn(|| Alarm);
    /// let timer = alarm.ring().send_after(Duration::from_secs(60))?;
    /// assert!(timer.is_active(), "it has not fired yet");
    /// timer.cancel();
    /// # Ok(())
    /// # }
    /// ```
    pub fn send_after(mut self, delay: Duration) -> Result<Timer, SendError> {
        self.refuse_if_invalid()?;
        self.refuse_if_stopped()?;
        // The trace of who set the timer, not of the timer's task.
        capture_trace(&mut self.message);
        let sleep = self.addr.core().system.clock.sleep(delay);
        let addr = self.addr.clone();
        Ok(timer::start(&addr, async move {
            sleep.await;
            // A refusal now has no one to tell but the event it records.
            let _ = self.send_wait().await;
        }))
    }

    /// Tells repeatedly: first once `period` has passed on the system's
    /// clock, then every `period` after that (at `period`, `2 * period`,
    /// ..., from now, however long each send took), until the returned
    /// [`Timer`] is [cancelled](Timer::cancel), the process stops for good
    /// (a restart does not end it) or the system shuts down. Dropping the
    /// `Timer` does not cancel it.
    ///
    /// Each tick is a [`send`](Self::send) of a fresh copy of the message,
    /// so the method's arguments must be `Clone`. A tick the process
    /// refuses (its mailbox is full, its rate limit or breaker says no)
    /// is skipped, with the event the refusal records
    /// ([`EventKind::MessageRejected`] for a full mailbox), and the timer
    /// goes on: ticks do not pile up behind a slow process.
    ///
    /// # Errors
    ///
    /// [`SendError::Stopped`] if the process has already stopped.
    ///
    /// # Panics
    ///
    /// If `period` is zero, or if an argument of the method is not
    /// `Clone` (of a type that names a type parameter of the process, one
    /// whose parameter is not bound `Clone` where the process is
    /// declared).
    ///
    /// # Examples
    ///
    /// ```
    /// # use phyx::prelude::*;
    /// # use std::time::Duration;
    /// # #[derive(Default)] struct Monitor { checks: u32 }
    /// # #[process] impl Monitor { #[public] fn check(&mut self, target: String) { self.checks += 1; } }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), phyx::SendError> {
    /// # let system = System::new();
    /// # let monitor = system.spawn(Monitor::default);
    /// let timer = monitor.check("db".into()).send_every(Duration::from_secs(5))?;
    /// // ... later:
    /// timer.cancel();
    /// # Ok(())
    /// # }
    /// ```
    pub fn send_every(self, period: Duration) -> Result<Timer, SendError> {
        assert!(!period.is_zero(), "`send_every` needs a period above zero");
        self.refuse_if_invalid()?;
        self.refuse_if_stopped()?;
        let method = self.message.method();
        assert!(
            self.message.__rebuild().is_some(),
            "`send_every` sends a copy of the `{method}` message each tick, and an argument of `{method}` is not \
             `Clone`: make it `Clone`, or schedule each tick with `send_after`"
        );
        let clock = self.addr.core().system.clock.clone();
        let start = clock.now();
        let addr = self.addr.clone();
        Ok(timer::start(&addr, async move {
            for tick in 1_u32.. {
                let Some(at) = period.checked_mul(tick).and_then(|after| start.checked_add(after)) else {
                    return;
                };
                clock.sleep_until(at).await;
                let Some(message) = self.message.__rebuild() else {
                    return;
                };
                let call = Self {
                    addr: self.addr.clone(),
                    message,
                    attach: self.attach,
                    timeout: None,
                    guard: self.guard,
                    undo: None,
                    decided: Decided::Nothing,
                };
                // A refused tick is skipped (its refusal recorded an event
                // if it was the mailbox's); only a stop for good ends it.
                if let Err(SendError::Stopped { .. }) = call.send() {
                    return;
                }
            }
        }))
    }

    /// [`SendError::Invalid`] if the method's validator refused the
    /// arguments.
    fn refuse_if_invalid(&self) -> Result<(), SendError> {
        if let Decided::Invalid(reason) = &self.decided {
            return Err(SendError::Invalid {
                process: self.addr.core().name.clone(),
                method: self.message.method(),
                reason: reason.clone(),
            });
        }
        Ok(())
    }

    /// [`SendError::Stopped`] if the process has stopped for good.
    fn refuse_if_stopped(&self) -> Result<(), SendError> {
        if self.addr.is_closed() {
            return Err(SendError::Stopped {
                process: self.addr.core().name.clone(),
                method: self.message.method(),
            });
        }
        Ok(())
    }

    /// Waiting while the method's rate limit is reached, for a method that
    /// says `#[rate_limit(wait)]`; `None` for any other, which then builds
    /// no future and clones nothing.
    fn wait_for_rate(&self) -> Option<impl Future<Output = ()> + Send + 'static> {
        let (guard, method) = self.guard()?;
        method.limiter.as_ref().filter(|limiter| limiter.wait)?;
        let (method, key, addr) = (method.clone(), guard.key, self.addr.clone());
        Some(async move {
            let Some(limiter) = &method.limiter else { return };
            while let Err(retry_after) = take_quota(&addr, limiter, key, method.method) {
                addr.core().system.clock.sleep(retry_after).await;
            }
        })
    }

    /// Checks a tell against the method's guards, as [`admit`](Self::admit)
    /// does; a tell takes no breaker permit, since it reports no result.
    fn admit_tell(&self, quota: Quota) -> Result<(), SendError> {
        let refused = match self.admit(quota, Wants::Check) {
            Ok(_) => return Ok(()),
            Err(refused) => refused,
        };
        let (process, method) = (self.addr.core().name.clone(), self.message.method());
        Err(match refused {
            Refusal::RateLimited(retry_after) => SendError::RateLimited {
                process,
                method,
                retry_after,
            },
            Refusal::CircuitOpen(retry_after) => SendError::CircuitOpen {
                process,
                method,
                retry_after,
            },
        })
    }

    /// The one admission of every call, tell or ask: the method's rate
    /// limit takes one call from its quota (unless `quota` says waiting
    /// took it already), then its circuit breaker lets the call through,
    /// with a permit to report the result to when `wants` one.
    fn admit(&self, quota: Quota, wants: Wants) -> Result<Option<Permit>, Refusal> {
        let Some((guard, guards)) = self.guard() else {
            return Ok(None);
        };
        let method = guards.method;
        if let (Some(limiter), Quota::Take) = (&guards.limiter, quota) {
            take_quota(&self.addr, limiter, guard.key, method).map_err(Refusal::RateLimited)?;
        }
        let Some(circuit) = &guards.breaker else {
            return Ok(None);
        };
        let clock = &self.addr.core().system.clock;
        match wants {
            Wants::Check => circuit.allows(|| clock.now()).map(|()| None),
            Wants::Permit => circuit
                .acquire(clock.now(), method, &|kind| self.addr.publish(kind))
                .map(Some),
        }
        .map_err(Refusal::CircuitOpen)
    }
}

// By hand: a derive would ask `R: Copy`.
impl<R> Clone for Guard<R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<R> Copy for Guard<R> {}

/// Whether admission still has to take the call from its rate limit.
#[derive(Clone, Copy)]
enum Quota {
    Take,
    /// Waiting for the quota (`#[rate_limit(wait)]`) took it.
    Taken,
}

/// What admission asks of a circuit breaker.
#[derive(Clone, Copy)]
enum Wants {
    /// Only whether it is open: for tells, which report no result.
    Check,
    /// A permit, to report the ask's result to.
    Permit,
}

/// Why admission refused a call, and when to try again.
enum Refusal {
    RateLimited(Duration),
    CircuitOpen(Duration),
}

impl<R: 'static, H: Handle> IntoFuture for Call<R, H> {
    type Output = Result<R, CallError>;
    type IntoFuture = Ask<R, H>;

    fn into_future(mut self) -> Ask<R, H> {
        let method = self.message.method();
        let fill = match std::mem::replace(&mut self.decided, Decided::Nothing) {
            Decided::Nothing => None,
            Decided::Cached(probe) => match probe(&self.addr, &self.message) {
                // Answered here: the message is dropped unsent.
                Some(Cached::Hit(reply)) => return Ask::ready(Ok(reply)),
                Some(Cached::Miss(fill)) => Some(fill),
                None => None,
            },
            Decided::Invalid(reason) => {
                return Ask::ready(Err(CallError::Invalid {
                    process: self.addr.core().name.clone(),
                    method,
                    reason,
                }));
            }
        };
        Ask {
            inner: AskInner::Asking(Asking {
                method,
                state: AskState::Unsent(self),
                deadline: None,
                breaker: None,
                fill,
            }),
        }
    }
}

impl<R, H: Handle> fmt::Debug for Call<R, H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("process", &self.addr)
            .field("method", &self.message.method())
            .field("timeout", &self.timeout)
            .field("guarded", &self.guard.is_some())
            .finish()
    }
}

type WaitForRoom<M> = Pin<Box<dyn Future<Output = Result<(), Refused<M>>> + Send>>;

/// The future of an ask: a [`Call`] being awaited.
///
/// # Cancel safety
///
/// Dropping it before the message is queued drops the message unsent;
/// after, the process still handles the message and the reply is
/// discarded.
#[must_use = "futures do nothing unless polled"]
pub struct Ask<R, H: Handle> {
    inner: AskInner<R, H>,
}

enum AskInner<R, H: Handle> {
    /// Decided at the caller (a cache hit, a refused validation): no
    /// message, and nothing else to keep or drop. `None` once taken.
    Ready(Option<Result<R, CallError>>),
    Asking(Asking<R, H>),
}

/// An ask on its way to the process.
struct Asking<R, H: Handle> {
    method: &'static str,
    state: AskState<R, H>,
    deadline: Option<Deadline>,
    breaker: Option<BreakerPass<R, H>>,
    /// Where a `#[cache]` method's reply goes once it comes.
    fill: Option<Fill<R>>,
}

struct Deadline {
    sleep: Sleep,
    after: Duration,
    process: Arc<str>,
}

/// A call the method's breaker let through, to report its result to.
struct BreakerPass<R, H: Handle> {
    addr: Addr<H::Message>,
    guard: Arc<MethodGuard>,
    permit: Option<Permit>,
    is_ok: fn(&R) -> bool,
}

enum AskState<R, H: Handle> {
    Unsent(Call<R, H>),
    WaitingForRate(Call<R, H>, Sleep),
    WaitingForRoom(
        Addr<H::Message>,
        WaitForRoom<H::Message>,
        oneshot::Receiver<Result<Sent<R>, NoReply>>,
    ),
    Queued(Addr<H::Message>, oneshot::Receiver<Result<Sent<R>, NoReply>>),
    Failed(CallError),
    Done,
}

// The message is only ever moved, never pinned, so `Ask` need not be.
impl<R, H: Handle> Unpin for Ask<R, H> {}

impl<R, H: Handle> Ask<R, H> {
    fn ready(result: Result<R, CallError>) -> Self {
        Self {
            inner: AskInner::Ready(Some(result)),
        }
    }
}

impl<R: 'static, H: Handle> Future for Ask<R, H> {
    type Output = Result<R, CallError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.inner {
            AskInner::Ready(result) => Poll::Ready(result.take().expect("`Ask` polled after completion")),
            AskInner::Asking(asking) => asking.poll(cx),
        }
    }
}

impl<R: 'static, H: Handle> Asking<R, H> {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Result<R, CallError>> {
        let result = std::task::ready!(self.poll_reply(cx));
        if let Some(pass) = &mut self.breaker {
            let success = match &result {
                Ok(value) => Some((pass.is_ok)(value)),
                Err(CallError::Panicked { .. } | CallError::Timeout { .. } | CallError::ReplyDropped { .. }) => {
                    Some(false)
                }
                Err(_) => None,
            };
            pass.report(success);
        }
        Poll::Ready(result)
    }

    fn poll_reply(&mut self, cx: &mut Context<'_>) -> Poll<Result<R, CallError>> {
        loop {
            let pending = match std::mem::replace(&mut self.state, AskState::Done) {
                AskState::Unsent(mut call) => {
                    capture_trace(&mut call.message);
                    if crate::kernel::current::is(call.addr.core()) {
                        let process = call.addr.core().name.clone();
                        return Poll::Ready(Err(CallError::SelfCall {
                            process,
                            method: self.method,
                        }));
                    }
                    if let Some(after) = call.timeout {
                        let core = call.addr.core();
                        self.deadline = Some(Deadline {
                            sleep: core.system.clock.sleep(after),
                            after,
                            process: core.name.clone(),
                        });
                    }
                    self.state = self.admit(call);
                    continue;
                }
                AskState::WaitingForRate(call, mut sleep) => match Pin::new(&mut sleep).poll(cx) {
                    Poll::Ready(()) => {
                        self.state = self.admit(call);
                        continue;
                    }
                    Poll::Pending => AskState::WaitingForRate(call, sleep),
                },
                AskState::WaitingForRoom(addr, mut waiting, reply) => match waiting.as_mut().poll(cx) {
                    Poll::Ready(Ok(())) => {
                        self.state = AskState::Queued(addr, reply);
                        continue;
                    }
                    Poll::Ready(Err(refused)) => {
                        return Poll::Ready(Err(addr.send_error(self.method, refused).into()));
                    }
                    Poll::Pending => AskState::WaitingForRoom(addr, waiting, reply),
                },
                AskState::Queued(addr, mut reply) => match Pin::new(&mut reply).poll(cx) {
                    Poll::Ready(Ok(Ok(value))) => {
                        let value = value.into_inner();
                        if let Some(fill) = self.fill.take() {
                            fill.store(&value, addr.core().system.clock.now_coarse());
                        }
                        return Poll::Ready(Ok(value));
                    }
                    Poll::Ready(Ok(Err(why))) => return Poll::Ready(Err(addr.call_error(self.method, why))),
                    // The message was dropped unhandled: the process stopped.
                    Poll::Ready(Err(_)) => {
                        return Poll::Ready(Err(addr.call_error(self.method, NoReply::Stopped)));
                    }
                    Poll::Pending => AskState::Queued(addr, reply),
                },
                AskState::Failed(error) => return Poll::Ready(Err(error)),
                AskState::Done => panic!("`Ask` polled after completion"),
            };
            if let Some(deadline) = &mut self.deadline {
                if Pin::new(&mut deadline.sleep).poll(cx).is_ready() {
                    return Poll::Ready(Err(CallError::Timeout {
                        process: deadline.process.clone(),
                        method: self.method,
                        after: deadline.after,
                    }));
                }
            }
            self.state = pending;
            return Poll::Pending;
        }
    }

    /// Passes the call through its method's guards (see [`Call::admit`]),
    /// then into the mailbox. Over a `#[rate_limit(wait)]` quota, the ask
    /// sleeps and is admitted again.
    fn admit(&mut self, call: Call<R, H>) -> AskState<R, H> {
        let core = call.addr.core();
        let refusal = match call.admit(Quota::Take, Wants::Permit) {
            Ok(permit) => {
                if let (Some(permit), Some((guard, guards))) = (permit, call.guard()) {
                    self.breaker = Some(BreakerPass {
                        addr: call.addr.clone(),
                        guard: guards.clone(),
                        permit: Some(permit),
                        is_ok: guard.is_ok,
                    });
                }
                return enqueue(call);
            }
            Err(refusal) => refusal,
        };
        let (process, method) = (core.name.clone(), self.method);
        match refusal {
            Refusal::RateLimited(retry_after)
                if call
                    .guard()
                    .is_some_and(|(_, guards)| guards.limiter.as_ref().is_some_and(|limiter| limiter.wait)) =>
            {
                let sleep = core.system.clock.sleep(retry_after);
                AskState::WaitingForRate(call, sleep)
            }
            Refusal::RateLimited(retry_after) => AskState::Failed(CallError::RateLimited {
                process,
                method,
                retry_after,
            }),
            Refusal::CircuitOpen(retry_after) => AskState::Failed(CallError::CircuitOpen {
                process,
                method,
                retry_after,
            }),
        }
    }
}

impl<R, H: Handle> BreakerPass<R, H> {
    fn report(&mut self, success: Option<bool>) {
        if let (Some(permit), Some(breaker)) = (self.permit.take(), &self.guard.breaker) {
            let now = self.addr.core().system.clock.now();
            breaker.record(permit, success, now, self.guard.method, &|kind| self.addr.publish(kind));
        }
    }
}

impl<R, H: Handle> Drop for BreakerPass<R, H> {
    fn drop(&mut self) {
        // An ask dropped before its result neither succeeded nor failed.
        self.report(None);
    }
}

fn enqueue<R: 'static, H: Handle>(call: Call<R, H>) -> AskState<R, H> {
    let Call {
        addr,
        mut message,
        attach,
        ..
    } = call;
    let method = message.method();
    let (sender, receiver) = oneshot::channel();
    attach(&mut message, Some(sender));
    match addr.try_deliver(message) {
        Ok(()) => AskState::Queued(addr, receiver),
        Err(Refused::Full(message)) if addr.waits_for_room() => {
            let waiting_addr = addr.clone();
            let waiting = Box::pin(async move { waiting_addr.deliver(message).await });
            AskState::WaitingForRoom(addr, waiting, receiver)
        }
        Err(refused) => AskState::Failed(addr.send_error(method, refused).into()),
    }
}

/// Gives a traced method's message the trace its call is made in (see
/// `phyx::trace`): as it is sent, set on a timer or first polled, so that
/// a call made outside a scope and awaited in it joins the scope's trace.
/// Once: a timer's later send keeps its setter's. Any other message has
/// no slot (for a process without traced methods, at no cost).
fn capture_trace<M: Message>(message: &mut M) {
    if let Some(slot @ None) = message.__trace() {
        *slot = Traced::capture();
    }
}

/// Takes one call from the quota of a rate-limited method; a call over the
/// quota is reported as rate limited, and told when to try again. Tells,
/// asks and waiting tells all pass here.
fn take_quota<M: Message>(addr: &Addr<M>, limiter: &Limiter, key: u64, method: &'static str) -> Result<(), Duration> {
    limiter.check(key).inspect_err(|&retry_after| {
        addr.publish(EventKind::RateLimited { method, retry_after });
    })
}
