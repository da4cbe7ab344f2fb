//! Replies from a handler to its caller, and what happens when a handler
//! panics instead of replying.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;
use tokio::sync::oneshot;

use crate::panic::{CatchPanics, catch_panics};

/// Why a message reached no handler, told to its caller.
#[doc(hidden)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoReply {
    Stopped,
    Dropped,
    /// A [`Reply`](crate::Reply) was dropped unsent.
    ReplyDropped,
    Panicked(Arc<str>),
    /// The process is on another node, and the message or its reply did
    /// not cross.
    Unreachable(Unreachable),
}

/// Why a message for another node did not get there.
#[doc(hidden)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unreachable {
    /// The node is down; its name.
    NodeDown(Arc<str>),
    /// The message cannot cross: too large, or not encodable. Why.
    Transport(Arc<str>),
    /// The remote mailbox is full.
    Full,
    /// The remote process has stopped.
    Stopped,
}

/// Where a handler's result goes; `None` for a tell.
#[doc(hidden)]
pub type ReplyTo<R> = Option<oneshot::Sender<Result<Sent<R>, NoReply>>>;

/// A value that crosses between tasks: an argument in a message, or a
/// reply. `Send` whatever `T` is, so that a message enum is `Send` even
/// when one of its arguments is not, and the one error about that argument
/// is the check where the generated code makes its `Sent`, on the user's
/// type, instead of one from every bound that needs the enum `Send`.
#[doc(hidden)]
pub struct Sent<T>(T);

// SAFETY: the only constructor requires `T: Send`, and the field is
// private, so every `Sent<T>` that exists holds a `Send` value. A message
// enum is `'static` (`Message: 'static`), so no `T` is shortened to a
// lifetime for which it is not `Send`.
#[allow(unsafe_code)]
unsafe impl<T> Send for Sent<T> {}

impl<T> Sent<T> {
    // The bound on the method, not the impl: rustc then reports a type
    // parameter that is not `Send` with its advice to restrict it.
    #[doc(hidden)]
    pub fn new(value: T) -> Self
    where
        T: Send,
    {
        Self(value)
    }

    #[doc(hidden)]
    pub fn into_inner(self) -> T {
        self.0
    }

    /// A `Sent` of a value made from this one's: `T` is `Send`, since this
    /// one exists. For `send_every`, which clones a message's arguments
    /// each tick.
    #[doc(hidden)]
    #[must_use]
    pub fn cloned_with(&self, clone: fn(&T) -> T) -> Self {
        Self(clone(&self.0))
    }

    /// A `Sent` of a value whose type is known to be `Send` because a
    /// `Sent` of it exists elsewhere (a [`Reply`](crate::Reply) is only
    /// made for `Send` replies).
    pub(crate) fn trusted(value: T) -> Self {
        Self(value)
    }

    /// Borrows the argument: how a pool's routing key reads a message's
    /// field (see `phyx::pool::Routing::by_key`).
    ///
    /// Sound whatever `T` is: a `Sent<T>` holds a `T: Send` (see `new`),
    /// and a `&Sent<T>` reaches another thread only if `T: Sync`.
    pub fn get(&self) -> &T {
        &self.0
    }
}

/// A handler panicked; carries the message.
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct Panic {
    pub(crate) message: Arc<str>,
}

/// Runs a handler, sends its result to the caller, and turns a panic into
/// an error for the caller and a crash for the process.
#[doc(hidden)]
pub fn handle_and_reply<R, F: Future<Output = Sent<R>>>(reply_to: ReplyTo<R>, handler: F) -> HandleAndReply<R, F> {
    HandleAndReply {
        reply_to,
        handler: catch_panics(handler),
    }
}

pin_project! {
    /// The future of [`handle_and_reply`]; a struct so that the handler's
    /// future is stored once, in the message's future, not copied into an
    /// `async fn`'s state as well.
    #[doc(hidden)]
    pub struct HandleAndReply<R, F> {
        reply_to: ReplyTo<R>,
        #[pin]
        handler: CatchPanics<F>,
    }
}

impl<R, F: Future<Output = Sent<R>>> Future for HandleAndReply<R, F> {
    type Output = Result<(), Panic>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let outcome = std::task::ready!(this.handler.poll(cx));
        let reply_to = this.reply_to.take();
        Poll::Ready(match outcome {
            Ok(value) => {
                if let Some(sender) = reply_to {
                    // The caller may have given up (timeout): nothing to do.
                    let _ = sender.send(Ok(value));
                }
                Ok(())
            }
            Err(message) => {
                if let Some(sender) = reply_to {
                    let _ = sender.send(Err(NoReply::Panicked(message.clone())));
                }
                Err(Panic { message })
            }
        })
    }
}

#[doc(hidden)]
pub fn no_reply<R>(reply_to: ReplyTo<R>, why: NoReply) {
    if let Some(sender) = reply_to {
        let _ = sender.send(Err(why));
    }
}

impl fmt::Display for Panic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Turns what a start hook returns into its outcome: `()` is success,
/// `Result<(), E>` fails with `E`'s `Display`.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`#[on_start]` hooks return `()` or `Result<(), E>` where `E: Display`, not `{Self}`",
    label = "return `()` or `Result<(), E>` here"
)]
pub trait StartOutcome {
    fn into_outcome(self) -> Result<(), String>;
}

impl StartOutcome for () {
    fn into_outcome(self) -> Result<(), String> {
        Ok(())
    }
}

impl<E: fmt::Display> StartOutcome for Result<(), E> {
    fn into_outcome(self) -> Result<(), String> {
        self.map_err(|error| error.to_string())
    }
}
