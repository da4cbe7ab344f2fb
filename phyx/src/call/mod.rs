//! A call on a handle: asked (awaited) or told (sent).

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::oneshot;

use std::sync::Arc;

mod attach;
mod flatten;
mod outcome;
mod undo;

pub use crate::call::flatten::Flatten;

pub use crate::call::outcome::{Rejection, SagaReply};
pub use crate::call::undo::Undo;
use crate::clock::Sleep;
use crate::error::{CallError, SendError};
use crate::event::EventKind;
use crate::id::StepKey;
use crate::kernel::addr::{Addr, Refused};
use crate::kernel::process::{Handle, Message};
use crate::kernel::reply::{NoReply, ReplyTo, Sent};
use crate::resilience::{Limiter, MethodGuard, Permit};

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
        }
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
    /// [`SendError::CircuitOpen`] if the method's guards refuse it.
    pub fn send(self) -> Result<(), SendError> {
        let method = self.message.method();
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
    pub async fn send_wait(self) -> Result<(), SendError> {
        let method = self.message.method();
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
        // The common case, room at once, costs what `send` costs: no nested
        // future is built unless the mailbox is full.
        match self.addr.try_deliver(self.message) {
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
    /// The timer is dropped if the system shuts down first. If the process
    /// has stopped by the time it fires, the message is discarded.
    ///
    /// # Errors
    ///
    /// [`SendError::Stopped`] if the process has already stopped.
    pub fn send_after(self, delay: Duration) -> Result<(), SendError> {
        let core = self.addr.core();
        if self.addr.is_closed() {
            return Err(SendError::Stopped {
                process: core.name.clone(),
                method: self.message.method(),
            });
        }
        let system = core.system.clone();
        let sleep = system.clock.sleep(delay);
        system.spawn_timer(async move {
            sleep.await;
            // A refusal now has no one to tell but the event it records.
            let _ = self.send_wait().await;
        });
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

    fn into_future(self) -> Ask<R, H> {
        Ask {
            method: self.message.method(),
            state: AskState::Unsent(self),
            deadline: None,
            breaker: None,
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
    method: &'static str,
    state: AskState<R, H>,
    deadline: Option<Deadline>,
    breaker: Option<BreakerPass<R, H>>,
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

impl<R: 'static, H: Handle> Future for Ask<R, H> {
    type Output = Result<R, CallError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let result = std::task::ready!(this.poll_reply(cx));
        if let Some(pass) = &mut this.breaker {
            let success = match &result {
                Ok(value) => Some((pass.is_ok)(value)),
                Err(CallError::Panicked { .. } | CallError::Timeout { .. }) => Some(false),
                Err(_) => None,
            };
            pass.report(success);
        }
        Poll::Ready(result)
    }
}

impl<R: 'static, H: Handle> Ask<R, H> {
    fn poll_reply(&mut self, cx: &mut Context<'_>) -> Poll<Result<R, CallError>> {
        loop {
            let pending = match std::mem::replace(&mut self.state, AskState::Done) {
                AskState::Unsent(call) => {
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
                    Poll::Ready(Ok(Ok(value))) => return Poll::Ready(Ok(value.into_inner())),
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

/// Takes one call from the quota of a rate-limited method; a call over the
/// quota is reported as rate limited, and told when to try again. Tells,
/// asks and waiting tells all pass here.
fn take_quota<M: Message>(addr: &Addr<M>, limiter: &Limiter, key: u64, method: &'static str) -> Result<(), Duration> {
    limiter.check(key).inspect_err(|&retry_after| {
        addr.publish(EventKind::RateLimited { method, retry_after });
    })
}
