//! Traces across processes and nodes: one request's trace shows every
//! handler it reached.
//!
//! A `#[public]` method marked [`#[trace]`](macro@crate::trace) (or every
//! public method of a `#[process(trace)]`) is a traced method. A call of
//! one carries, from where it is made, the caller's trace context and its
//! `tracing` span; its handler then runs in a `phyx.handle` span (at
//! INFO) whose parent is the caller's span, with the fields
//!
//! | field | what |
//! | --- | --- |
//! | `process`, `method` | as on every handler's span |
//! | `trace_id` | the trace's id, 32 hex digits, the same in every span of it |
//! | `span_id` | this handler's span id, 16 hex digits |
//! | `parent_span_id` | the caller's span id, when the caller was in a trace |
//!
//! (ids in the W3C Trace Context's form), and while it runs, [`current`]
//! is its context, so that the traced calls it makes continue the trace:
//! a caller's span, then A's handler, B's, C's, each the parent of the
//! next, across `.await`s and restarts. A traced call made outside any
//! trace starts one: its handler is the trace's first span.
//!
//! Across nodes (feature `cluster`), a call of a traced method of a
//! `#[process(remote)]` process (durable tells too) carries its context as
//! a W3C `traceparent` header; the serving node's handler span has the
//! same `trace_id`, and `parent_span_id` names the caller's span, whose
//! `tracing` span stays on its own node: a sink stitches the two by ids.
//! A `traceparent` that does not read (a stranger's bytes) is ignored, as
//! the W3C asks: the handler starts a trace, and the message is handled.
//!
//! An edge that receives a `traceparent` (an HTTP server, say) runs its
//! handling [`in_scope`](TraceContext::in_scope) of the context it reads:
//!
//! ```
//! use phyx::prelude::*;
//! use phyx::trace::TraceContext;
//!
//! struct Orders;
//!
//! #[process(trace)]
//! impl Orders {
//!     #[public]
//!     fn place(&self, item: String) -> String {
//!         let here = phyx::trace::current().expect("traced");
//!         format!("{item} in trace {:032x}", here.trace_id())
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), phyx::CallError> {
//! let system = System::new();
//! let orders = system.spawn(|| Orders);
//! let header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
//! let reply = match TraceContext::from_traceparent(header) {
//!     Some(incoming) => incoming.in_scope(orders.place("tea".into())).await?,
//!     None => orders.place("tea".into()).await?,
//! };
//! assert_eq!(reply, "tea in trace 4bf92f3577b34da6a3ce929d0e0e4736");
//! # system.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! No exporter is built in: spans go to whatever `tracing` subscriber is
//! installed (the `traces` example keeps them with a small
//! `tracing-subscriber` layer and prints the tree).
//!
//! A method without `#[trace]` pays nothing: its handle, its message and
//! its handler's span are what they were. A traced call carries the
//! caller's context in its message (every message of a process with a
//! traced method has room for it: 40 bytes), and costs, at the caller, a
//! read of [`current`] (and of `tracing::Span::current()`, when someone
//! listens at INFO); at the handler, the swap of [`current`] around each
//! poll. Its ids are drawn (from a fast per-thread generator) only when
//! something asks for them: the span, when a subscriber wants it;
//! otherwise [`current`], or a traced call the handler makes. The
//! README's benchmarks say what that comes to.

pub(crate) mod carry;
mod context;
mod ids;
pub(crate) mod scope;

pub use self::context::TraceContext;
pub use self::scope::{InScope, current};

pub(crate) use self::carry::Traced;
