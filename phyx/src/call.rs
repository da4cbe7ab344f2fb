//! A call on a handle: asked (awaited) or told (sent).

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::oneshot;

use crate::addr::{Addr, Refused};
use crate::clock::Sleep;
use crate::error::{CallError, SendError};
use crate::mailbox::Overflow;
use crate::process::Message;
use crate::reply::{ReplyTo, Undelivered};

/// A call of a `#[public]` method, returned by the handle's method of the
/// same name. `R` is the method's return type, `M` the process's message
/// enum (`CounterMsg` for `Counter`).
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
pub struct Call<R, M: Message> {
    addr: Addr<M>,
    message: M,
    attach: fn(&mut M, ReplyTo<R>),
    timeout: Option<Duration>,
}

impl<R: Send + 'static, M: Message> Call<R, M> {
    #[doc(hidden)]
    pub fn __new(addr: Addr<M>, message: M, attach: fn(&mut M, ReplyTo<R>)) -> Self {
        Self {
            addr,
            message,
            attach,
            timeout: None,
        }
    }

    /// Bounds the ask: if no reply arrived `timeout` after it was first
    /// polled (time spent waiting for room in the mailbox included), it
    /// fails with [`CallError::Timeout`]. Measured on the system's clock.
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
    /// not [`Overflow::DropOldest`]), [`SendError::Stopped`] if the process
    /// has stopped.
    pub fn send(self) -> Result<(), SendError> {
        let method = self.message.method();
        self.addr
            .try_deliver(self.message)
            .map_err(|refused| self.addr.send_error(method, refused))
    }

    /// Tells, waiting for room when the mailbox is full and its policy is
    /// [`Overflow::Backpressure`]; under the other policies it is
    /// [`send`](Self::send).
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send), except that a backpressured mailbox makes
    /// it wait instead of failing with [`SendError::MailboxFull`].
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before it completes drops the message unsent.
    pub async fn send_wait(self) -> Result<(), SendError> {
        let method = self.message.method();
        self.addr
            .deliver(self.message)
            .await
            .map_err(|refused| self.addr.send_error(method, refused))
    }

    /// Tells later: the message is queued once `delay` has passed on the
    /// system's clock, waiting for room as [`send_wait`](Self::send_wait)
    /// does. A process schedules messages to itself this way:
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
        if self.addr.shared().mailbox.is_closed() {
            return Err(SendError::Stopped {
                process: core.name.clone(),
                method: self.message.method(),
            });
        }
        let system = core.system.clone();
        let sleep = system.clock.sleep(delay);
        system.spawn_timer(async move {
            sleep.await;
            let method = self.message.method();
            if let Err(refused) = self.addr.deliver(self.message).await {
                // No one is left to tell but the event this records.
                self.addr.send_error(method, refused);
            }
        });
        Ok(())
    }
}

impl<R: Send + 'static, M: Message> IntoFuture for Call<R, M> {
    type Output = Result<R, CallError>;
    type IntoFuture = Ask<R, M>;

    fn into_future(self) -> Ask<R, M> {
        Ask {
            method: self.message.method(),
            state: AskState::Unsent(self),
            deadline: None,
        }
    }
}

impl<R, M: Message> fmt::Debug for Call<R, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("process", &self.addr)
            .field("method", &self.message.method())
            .field("timeout", &self.timeout)
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
pub struct Ask<R, M: Message> {
    method: &'static str,
    state: AskState<R, M>,
    deadline: Option<Deadline>,
}

struct Deadline {
    sleep: Sleep,
    after: Duration,
    process: std::sync::Arc<str>,
}

enum AskState<R, M: Message> {
    Unsent(Call<R, M>),
    WaitingForRoom(Addr<M>, WaitForRoom<M>, oneshot::Receiver<Result<R, Undelivered>>),
    Queued(Addr<M>, oneshot::Receiver<Result<R, Undelivered>>),
    Failed(CallError),
    Done,
}

// The message is only ever moved, never pinned, so `Ask` need not be.
impl<R, M: Message> Unpin for Ask<R, M> {}

impl<R: Send + 'static, M: Message> Future for Ask<R, M> {
    type Output = Result<R, CallError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        loop {
            let pending = match std::mem::replace(&mut this.state, AskState::Done) {
                AskState::Unsent(call) => {
                    if let Some(after) = call.timeout {
                        let core = call.addr.core();
                        this.deadline = Some(Deadline {
                            sleep: core.system.clock.sleep(after),
                            after,
                            process: core.name.clone(),
                        });
                    }
                    this.state = enqueue(call);
                    continue;
                }
                AskState::WaitingForRoom(addr, mut waiting, reply) => match waiting.as_mut().poll(cx) {
                    Poll::Ready(Ok(())) => {
                        this.state = AskState::Queued(addr, reply);
                        continue;
                    }
                    Poll::Ready(Err(refused)) => {
                        return Poll::Ready(Err(addr.send_error(this.method, refused).into()));
                    }
                    Poll::Pending => AskState::WaitingForRoom(addr, waiting, reply),
                },
                AskState::Queued(addr, mut reply) => match Pin::new(&mut reply).poll(cx) {
                    Poll::Ready(Ok(Ok(value))) => return Poll::Ready(Ok(value)),
                    Poll::Ready(Ok(Err(why))) => return Poll::Ready(Err(addr.call_error(this.method, why))),
                    // The message was dropped unhandled: the process stopped.
                    Poll::Ready(Err(_)) => {
                        return Poll::Ready(Err(addr.call_error(this.method, Undelivered::Stopped)));
                    }
                    Poll::Pending => AskState::Queued(addr, reply),
                },
                AskState::Failed(error) => return Poll::Ready(Err(error)),
                AskState::Done => panic!("`Ask` polled after completion"),
            };
            if let Some(deadline) = &mut this.deadline {
                if Pin::new(&mut deadline.sleep).poll(cx).is_ready() {
                    return Poll::Ready(Err(CallError::Timeout {
                        process: deadline.process.clone(),
                        method: this.method,
                        after: deadline.after,
                    }));
                }
            }
            this.state = pending;
            return Poll::Pending;
        }
    }
}

fn enqueue<R: Send + 'static, M: Message>(call: Call<R, M>) -> AskState<R, M> {
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
        Err(Refused::Full(message)) if addr.shared().mailbox.overflow() == Overflow::Backpressure => {
            let waiting_addr = addr.clone();
            let waiting = Box::pin(async move { waiting_addr.deliver(message).await });
            AskState::WaitingForRoom(addr, waiting, receiver)
        }
        Err(refused) => AskState::Failed(addr.send_error(method, refused).into()),
    }
}
