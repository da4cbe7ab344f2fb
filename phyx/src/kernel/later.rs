//! Replying later: a handler that takes a [`Reply<R>`] hands its reply to
//! someone else and returns, so its mailbox keeps flowing.
//!
//! A `Reply` is the caller's end of the ask, moved out of the message: the
//! same oneshot sender a plain handler's return value goes through, so it
//! costs no allocation and no type erasure, and the caller's `Ask` (its
//! timeout, its circuit breaker, a saga around it) sees the later reply as
//! it would an immediate one. Dropped unsent, it fails its caller with
//! [`CallError::ReplyDropped`](crate::CallError::ReplyDropped) at once.
//!
//! One subtlety: a handler that panics before it hands its `Reply` off
//! drops it while unwinding, before the panic is caught. Its caller should
//! hear `Panicked` with the message, as it would from any handler, not
//! `ReplyDropped`. So while a reply-later handler is being polled
//! ([`HandleLater`]), a `Reply` dropped unsent on this thread is set aside
//! (`SET_ASIDE`) and answered when the poll ends: with the panic if one
//! was caught, `ReplyDropped` otherwise. That costs a box, on that path
//! only.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use crate::kernel::reply::{NoReply, Panic, ReplyTo, Sent};
use crate::panic::{CatchPanics, catch_panics};

/// The reply of an ask, to send later, from anywhere: a `#[public]` method
/// that takes a parameter of type `Reply<R>` (besides its arguments; its
/// callers do not pass it) and returns nothing replies through it, and its
/// handle method returns `Call<R, _>` as if the method returned `R`.
///
/// The handler can move the `Reply` into a task or another process and
/// return at once: the process handles its next message while the work is
/// done elsewhere, and the caller still awaits an ordinary [`Call`](crate::Call),
/// with its timeout and circuit breaker.
///
/// - [`send`](Self::send) consumes the `Reply`, so a caller gets one reply
///   at most, by type.
/// - Dropped unsent, it fails its caller at once with
///   [`CallError::ReplyDropped`](crate::CallError::ReplyDropped) (or
///   [`CallError::Panicked`](crate::CallError::Panicked) if the handler
///   panicked before handing it off).
/// - It belongs to the caller, not to the process: it stays valid across
///   restarts of the process, and a panic of the handler after handing it
///   off does not touch it.
/// - For a tell, nobody waits: `send` discards the value and
///   [`is_waiting`](Self::is_waiting) is `false`. So is it once the caller
///   gave up (a timeout, a dropped future).
///
/// To pass a `Reply` to another process, wrap it in a type of your own (a
/// struct or a tuple): a bare `Reply<R>` parameter is the method's own
/// reply.
///
/// # Examples
///
/// ```
/// use phyx::prelude::*;
/// use phyx::Reply;
/// use std::time::Duration;
///
/// struct Fetcher;
///
/// #[process]
/// impl Fetcher {
///     /// Fetches in a task of its own: the mailbox keeps flowing.
///     #[public]
///     fn fetch(&mut self, url: String, reply: Reply<String>) {
///         tokio::spawn(async move {
///             tokio::time::sleep(Duration::from_millis(10)).await;
///             reply.send(format!("body of {url}"));
///         });
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), phyx::CallError> {
/// let system = System::new();
/// let fetcher = system.spawn(|| Fetcher);
/// let body: String = fetcher.fetch("https://example.com".into()).await?;
/// assert_eq!(body, "body of https://example.com");
/// # system.shutdown().await;
/// # Ok(())
/// # }
/// ```
/// `R` is `'static`, as every reply is: a `Reply` dropped unsent may be
/// set aside until its handler's poll ends.
#[must_use = "a `Reply` dropped unsent fails its caller with `CallError::ReplyDropped`"]
pub struct Reply<R: 'static> {
    /// `None` for a tell, and once sent.
    to: ReplyTo<R>,
}

impl<R: 'static> Reply<R> {
    /// Takes the caller's end out of a message, for a reply-later handler.
    /// The bound is why every `Reply<R>` has a `Send` `R`.
    #[doc(hidden)]
    pub fn __new(to: ReplyTo<R>) -> Self
    where
        R: Send,
    {
        Self { to }
    }

    /// Sends the reply to the caller, who receives it as the result of its
    /// [`Call`](crate::Call). If nobody waits (a tell, or a caller that
    /// gave up), `value` is dropped. Never blocks, never fails.
    ///
    /// ```
    /// # use phyx::prelude::*;
    /// # use phyx::Reply;
    /// # struct Doubler;
    /// # #[process] impl Doubler {
    /// #[public]
    /// fn double(&mut self, n: u64, reply: Reply<u64>) {
    ///     reply.send(2 * n);
    /// }
    /// # }
    /// ```
    pub fn send(mut self, value: R) {
        if let Some(to) = self.to.take() {
            // A caller that gave up has dropped its end: nothing to do.
            let _ = to.send(Ok(Sent::trusted(value)));
        }
    }

    /// Whether a caller still waits for this reply: `false` for a tell, or
    /// once the caller gave up (its timeout passed, its future was
    /// dropped). Slow work can check it to stop early.
    ///
    /// ```
    /// # use phyx::prelude::*;
    /// # use phyx::Reply;
    /// # struct Reports;
    /// # #[process] impl Reports {
    /// #[public]
    /// fn report(&mut self, reply: Reply<String>) {
    ///     tokio::spawn(async move {
    ///         if reply.is_waiting() {
    ///             reply.send("the report".into());
    ///         }
    ///     });
    /// }
    /// # }
    /// ```
    pub fn is_waiting(&self) -> bool {
        self.to.as_ref().is_some_and(|to| !to.is_closed())
    }
}

impl<R: 'static> Drop for Reply<R> {
    fn drop(&mut self) {
        let Some(to) = self.to.take() else { return };
        if to.is_closed() {
            return;
        }
        // `try_with`: a `Reply` may be dropped as the thread's locals are.
        let set_aside = POLLING.try_with(Cell::get).unwrap_or(0) > 0;
        if set_aside {
            // In a reply-later handler's poll: answered when it ends (see
            // the module's docs).
            let answer: Answer = Box::new(move |why| {
                let _ = to.send(Err(why));
            });
            SET_ASIDE.with(|set_aside| set_aside.borrow_mut().push(answer));
        } else {
            let _ = to.send(Err(NoReply::ReplyDropped));
        }
    }
}

impl<R: 'static> fmt::Debug for Reply<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reply").field("waiting", &self.is_waiting()).finish()
    }
}

/// Answers a caller whose `Reply` was dropped unsent.
type Answer = Box<dyn FnOnce(NoReply)>;

thread_local! {
    /// How many reply-later handlers are being polled on this thread.
    static POLLING: Cell<usize> = const { Cell::new(0) };
    /// The callers whose `Reply` was dropped unsent during those polls.
    static SET_ASIDE: RefCell<Vec<Answer>> = const { RefCell::new(Vec::new()) };
}

/// Runs a handler that replies later. Like
/// [`handle_and_reply`](crate::kernel::reply::handle_and_reply) with no
/// caller to answer: a panic crashes the process, and a `Reply` the
/// handler dropped on the way out tells its caller about the panic.
#[doc(hidden)]
pub fn handle_later<F: Future<Output = ()>>(handler: F) -> HandleLater<F> {
    HandleLater {
        handler: catch_panics(handler),
    }
}

pin_project! {
    /// The future of [`handle_later`].
    #[doc(hidden)]
    pub struct HandleLater<F> {
        #[pin]
        handler: CatchPanics<F>,
    }
}

impl<F: Future<Output = ()>> Future for HandleLater<F> {
    type Output = Result<(), Panic>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let depth = POLLING.with(|polling| {
            polling.set(polling.get() + 1);
            polling.get()
        });
        // `catch_panics` catches every panic of the handler, and of its
        // drop, so the count is always brought back down.
        let polled = self.project().handler.poll(cx);
        POLLING.with(|polling| polling.set(depth - 1));
        let why = match &polled {
            Poll::Ready(Err(message)) => NoReply::Panicked(message.clone()),
            _ => NoReply::ReplyDropped,
        };
        let set_aside = SET_ASIDE.with(|set_aside| std::mem::take(&mut *set_aside.borrow_mut()));
        for answer in set_aside {
            answer(why.clone());
        }
        match polled {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(())) => Poll::Ready(Ok(())),
            Poll::Ready(Err(message)) => Poll::Ready(Err(Panic { message })),
        }
    }
}
