//! The hook through which a test kit injects faults into handlers.

use std::future::Future;
use std::pin::Pin;

use crate::id::ProcessId;

/// What to do to a message about to be handled.
#[doc(hidden)]
pub enum Fault {
    /// Crash as if the handler had panicked with this message.
    Panic(String),
    /// Wait for this future before handling the message.
    Wait(Pin<Box<dyn Future<Output = ()> + Send>>),
}

/// Consulted before every message is handled; installed by
/// `phyx-testkit`.
#[doc(hidden)]
pub trait FaultHook: Send + Sync + 'static {
    fn before_handle(&self, process: ProcessId, method: &'static str) -> Option<Fault>;
}
