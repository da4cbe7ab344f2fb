//! Metrics through the `metrics` facade, with the `metrics` feature.
//! Without it each function here is empty and compiles to nothing, so a
//! user who does not want metrics pays for none.
//!
//! | metric | kind | labels |
//! | --- | --- | --- |
//! | `phyx_messages_handled_total` | counter | `process`, `method` |
//! | `phyx_handler_seconds` | histogram, on the system clock | `process`, `method` |
//! | `phyx_mailbox_depth` | gauge, after each message | `process` |
//! | `phyx_restarts_total` | counter | `process` |
//! | `phyx_panics_total` | counter | `process` |
//! | `phyx_circuit_transitions_total` | counter | `process`, `method`, `state` |
//! | `phyx_rate_limited_total` | counter | `process`, `method` |
//! | `phyx_messages_dropped_total` | counter (drop-oldest) | `process`, `method` |
//! | `phyx_messages_rejected_total` | counter (full mailbox) | `process`, `method` |

use std::sync::Arc;

use crate::event::EventKind;

/// One message handled by `process`: how long its handler took and how
/// many messages wait behind it. Only with the feature: without it, the
/// run loop does not even read the clock for it.
#[cfg(feature = "metrics")]
pub(crate) fn handled(process: &Arc<str>, method: &'static str, took: std::time::Duration, queued: usize) {
    let labels = [("process", process.to_string()), ("method", method.to_string())];
    metrics::counter!("phyx_messages_handled_total", &labels).increment(1);
    metrics::histogram!("phyx_handler_seconds", &labels).record(took.as_secs_f64());
    metrics::gauge!("phyx_mailbox_depth", "process" => process.to_string()).set(queued as f64);
}

/// What an event of `process` counts for.
#[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
#[inline]
pub(crate) fn event(process: &Arc<str>, kind: &EventKind) {
    #[cfg(feature = "metrics")]
    {
        let process = process.to_string();
        match kind {
            EventKind::Restarting { .. } => metrics::counter!("phyx_restarts_total", "process" => process).increment(1),
            EventKind::Panicked { .. } => metrics::counter!("phyx_panics_total", "process" => process).increment(1),
            EventKind::Circuit { method, state } => {
                let state = match state {
                    crate::event::CircuitState::Closed => "closed",
                    crate::event::CircuitState::Open { .. } => "open",
                    crate::event::CircuitState::HalfOpen => "half_open",
                };
                metrics::counter!(
                    "phyx_circuit_transitions_total",
                    "process" => process, "method" => *method, "state" => state
                )
                .increment(1);
            }
            EventKind::RateLimited { method, .. } => {
                metrics::counter!("phyx_rate_limited_total", "process" => process, "method" => *method).increment(1);
            }
            EventKind::MessageDropped { method } => {
                metrics::counter!("phyx_messages_dropped_total", "process" => process, "method" => *method)
                    .increment(1);
            }
            EventKind::MessageRejected { method } => {
                metrics::counter!("phyx_messages_rejected_total", "process" => process, "method" => *method)
                    .increment(1);
            }
            _ => {}
        }
    }
}
