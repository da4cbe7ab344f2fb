//! One error for an ask of a method that returns `Result`.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::call::{Ask, Call};
use crate::error::Failed;
use crate::kernel::process::Handle;

impl<T: 'static, E: 'static, H: Handle> Call<Result<T, E>, H> {
    /// Asks, with the handler's `Err` and the call's failure folded into
    /// one error, [`Failed`]: `Ok(T)` only when the handler returned
    /// `Ok(T)`. Call it last, after [`timeout`](Self::timeout).
    ///
    /// ```
    /// # use phyx::prelude::*;
    /// # use phyx::Failed;
    /// # struct Payments;
    /// # #[process] impl Payments {
    /// #     #[public] fn charge(&mut self, cents: u64) -> Result<u64, String> { Ok(cents) }
    /// # }
    /// async fn pay(payments: &PaymentsRef) -> Result<u64, Failed<String>> {
    ///     payments.charge(5).flatten().await // instead of `.await??` on two error types
    /// }
    /// ```
    pub fn flatten(self) -> Flatten<T, E, H> {
        Flatten {
            ask: self.into_future(),
        }
    }
}

/// The future of [`Call::flatten`]: an ask whose error is [`Failed`].
///
/// Cancel safety as [`Ask`]'s.
#[must_use = "futures do nothing unless polled"]
pub struct Flatten<T, E, H: Handle> {
    ask: Ask<Result<T, E>, H>,
}

impl<T: 'static, E: 'static, H: Handle> Future for Flatten<T, E, H> {
    type Output = Result<T, Failed<E>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.ask).poll(cx).map(|reply| match reply {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(Failed::Handler(error)),
            Err(error) => Err(Failed::Call(error)),
        })
    }
}
