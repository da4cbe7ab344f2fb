//! The test kit of [phyx](https://docs.rs/phyx): a virtual clock that
//! drives every timer, deterministic runs, event assertions and fault
//! injection.
//!
//! Not built yet: this crate holds the place in the workspace so that
//! tests can depend on it from the start. Until it lands, test timers with
//! tokio's paused clock, which phyx's default clock follows:
//!
//! ```rust,ignore
//! use std::time::Duration;
//!
//! #[tokio::test(start_paused = true)]
//! async fn an_hour_of_backoff_in_no_time() {
//!     // every phyx timer (timeouts, `send_after`, `ctx.sleep`, backoff)
//!     // now runs on tokio's virtual time
//! }
//! ```
#![warn(missing_docs)]
