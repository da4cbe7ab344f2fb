//! What a saga makes of a step's reply.

use std::any::Any;
use std::fmt;

/// A reply a saga can judge: `Result<T, E>` (an `Err` fails the step) or
/// `()` (the step cannot fail by itself).
///
/// Implemented for those two, and sealed: a saga step, and a compensation,
/// must call a method that returns one of them.
#[diagnostic::on_unimplemented(
    message = "a saga step must call a method that returns `Result<T, E>` or nothing, not `{Self}`",
    label = "this method's reply cannot tell a failed step from a done one",
    note = "make the method return `Result<{Self}, E>` with an error type `E: Display + Send + Sync`"
)]
pub trait SagaReply: sealed::Sealed + Send + 'static {
    /// What a successful step gives back: `T` of `Result<T, E>`.
    type Value: Send + 'static;

    /// The value of a successful reply, which the compensation receives.
    fn value(&self) -> Option<&Self::Value>;

    /// The value, or why the step failed.
    fn into_outcome(self) -> Result<Self::Value, Rejection>;

    /// The successful reply that carries `value`: what a journaled saga
    /// replays from the value it recorded.
    #[cfg(feature = "journal")]
    fn from_value(value: Self::Value) -> Self;
}

impl sealed::Sealed for () {}

impl SagaReply for () {
    type Value = ();

    fn value(&self) -> Option<&()> {
        Some(self)
    }

    fn into_outcome(self) -> Result<(), Rejection> {
        Ok(())
    }

    #[cfg(feature = "journal")]
    fn from_value((): ()) -> Self {}
}

impl<T, E> sealed::Sealed for Result<T, E> {}

impl<T, E> SagaReply for Result<T, E>
where
    T: Send + 'static,
    E: fmt::Display + Send + Sync + 'static,
{
    type Value = T;

    fn value(&self) -> Option<&T> {
        self.as_ref().ok()
    }

    fn into_outcome(self) -> Result<T, Rejection> {
        self.map_err(|error| Rejection {
            message: error.to_string(),
            error: Box::new(error),
        })
    }

    #[cfg(feature = "journal")]
    fn from_value(value: T) -> Self {
        Ok(value)
    }
}

/// The `Err` a step's handler returned: its text, and the error itself for
/// [`SagaError::rejection`](crate::saga::SagaError::rejection).
pub struct Rejection {
    pub(crate) message: String,
    pub(crate) error: Box<dyn Any + Send + Sync>,
}

impl fmt::Debug for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Rejection").field(&self.message).finish()
    }
}

mod sealed {
    /// Keeps [`SagaReply`](super::SagaReply) to the replies a saga knows
    /// how to judge.
    pub trait Sealed {}
}
