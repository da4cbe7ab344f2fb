//! The hook through which a test kit injects faults into handlers.
// Public for test kits, as `phyx::testing`, with the `test-util` feature.
#![cfg_attr(
    not(feature = "test-util"),
    allow(unreachable_pub, reason = "reachable as `phyx::testing` with `test-util`")
)]

use std::future::Future;
use std::pin::Pin;

use crate::id::ProcessId;

/// What to do to a message about to be handled.
#[cfg_attr(
    not(feature = "test-util"),
    allow(dead_code, reason = "only test kits make faults, through `phyx::testing`")
)]
pub enum Fault {
    /// Crash as if the handler had panicked with this message.
    Panic(String),
    /// Wait for this future before handling the message.
    Wait(Pin<Box<dyn Future<Output = ()> + Send>>),
}

/// Consulted before every message is handled; installed by a test kit
/// with `SystemBuilder::fault_hook`.
pub trait FaultHook: Send + Sync + 'static {
    /// The fault to inject into this call of `method` on `process`, if any.
    fn before_handle(&self, process: ProcessId, method: &'static str) -> Option<Fault>;
}
