//! A recorded compensation: the call that undoes a step, ready to be made
//! as many times as it takes.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::call::outcome::SagaReply;
use crate::call::{Call, ForSaga};
use crate::event::EventKind;
use crate::kernel::process::Handle;

type Attempt = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

/// The compensation of one successful step. Built by the handle method of
/// a `#[compensate(undo)]` method; the saga only runs it.
pub struct Undo {
    process: Arc<str>,
    method: &'static str,
    attempt: Box<dyn Fn(Duration) -> Attempt + Send>,
    publish: Box<dyn Fn(EventKind) + Send>,
}

impl Undo {
    /// `call` makes the undo's call afresh for every attempt.
    #[doc(hidden)]
    pub fn __new<R: SagaReply, H: Handle>(call: impl Fn() -> Call<R, H> + Send + 'static) -> Self {
        let ForSaga { addr, method, .. } = call().for_saga();
        let process = addr.core().name.clone();
        let publish = Box::new(move |kind| addr.publish(kind));
        let attempt = Box::new(move |timeout| -> Attempt {
            let ask = call().timeout(timeout);
            Box::pin(async move {
                match ask.await {
                    Ok(reply) => reply.into_outcome().map(drop).map_err(|rejection| rejection.message),
                    Err(error) => Err(error.to_string()),
                }
            })
        });
        Self {
            process,
            method,
            attempt,
            publish,
        }
    }

    pub(crate) fn process(&self) -> &Arc<str> {
        &self.process
    }

    pub(crate) fn method(&self) -> &'static str {
        self.method
    }

    /// One attempt, bounded by `timeout`: `Err` says why it failed.
    pub(crate) fn attempt(&self, timeout: Duration) -> impl Future<Output = Result<(), String>> + Send + use<> {
        (self.attempt)(timeout)
    }

    pub(crate) fn publish(&self, kind: EventKind) {
        (self.publish)(kind);
    }
}

impl fmt::Debug for Undo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Undo")
            .field("process", &self.process)
            .field("method", &self.method)
            .finish_non_exhaustive()
    }
}
