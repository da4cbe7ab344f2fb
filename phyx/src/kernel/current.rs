//! Which process the code running on this thread belongs to, and the
//! isolation boundary around everything a process runs.
//!
//! A process's task sets itself as the current process around every poll
//! of its user code (factory, hooks, handlers, the drop of its state), so
//! that a call can tell a process about to wait for itself, which could
//! never end, from any other wait; and so that a panic anywhere in that
//! code is caught as a crash of that process.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use crate::kernel::tree::{AnyProcess, Core};
use crate::panic::{CatchPanics, catch_panics};

thread_local! {
    /// The process being polled on this thread, if any. The `Arc` is moved
    /// in and out, never cloned, so that setting it costs no atomic.
    static CURRENT: Cell<Option<Arc<dyn AnyProcess>>> = const { Cell::new(None) };
}

/// Runs `f` with the current process, if any.
fn with_current<R>(f: impl FnOnce(Option<&Arc<dyn AnyProcess>>) -> R) -> R {
    CURRENT.with(|current| {
        let node = current.take();
        let result = f(node.as_ref());
        current.set(node);
        result
    })
}

/// Whether the code running now is a handler (or hook) of the process
/// whose core is `core`.
pub(crate) fn is(core: &Core) -> bool {
    with_current(|node| node.is_some_and(|node| std::ptr::eq(node.core(), core)))
}

/// Whether the code running now belongs to the process whose core is
/// `core` or to one of its descendants, which stop with it.
pub(crate) fn is_within(core: &Core) -> bool {
    with_current(|node| {
        let mut node = node;
        while let Some(current) = node {
            if std::ptr::eq(current.core(), core) {
                return true;
            }
            node = current.core().parent.as_ref();
        }
        false
    })
}

/// Whether the code running now belongs to any process.
pub(crate) fn in_process() -> bool {
    with_current(|node| node.is_some())
}

/// Whether the code running now belongs to a process whose system is the
/// one `is_system` recognises.
pub(crate) fn in_system(is_system: impl FnOnce(&Core) -> bool) -> bool {
    with_current(|node| node.is_some_and(|node| is_system(node.core())))
}

/// Runs `future` as user code of the process behind `node`: it is the
/// current process during every poll, and a panic in any poll (or in the
/// drop of what the future holds) ends the future with the panic's message
/// instead of unwinding into the runtime.
pub(crate) fn isolated<F: Future>(node: Arc<dyn AnyProcess>, future: F) -> Isolated<F> {
    Isolated {
        node: Some(node),
        future: catch_panics(future),
    }
}

pin_project! {
    /// The future of [`isolated`]; a struct so that the process instance
    /// it runs is stored once, in place.
    pub(crate) struct Isolated<F> {
        // Moved into `CURRENT` for each poll and back: no atomic per poll.
        node: Option<Arc<dyn AnyProcess>>,
        #[pin]
        future: CatchPanics<F>,
    }
}

impl<F: Future> Future for Isolated<F> {
    type Output = Result<F::Output, Arc<str>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let previous = CURRENT.replace(this.node.take());
        let polled = this.future.poll(cx);
        *this.node = CURRENT.replace(previous);
        polled
    }
}

/// Keeps the panics phyx catches off stderr, while every other panic is
/// reported as before.
///
/// A panic in a process's code (a handler, a hook, its factory, the drop
/// of its state) is caught by phyx: the caller gets
/// [`CallError::Panicked`](crate::CallError::Panicked), an
/// [`EventKind::Panicked`](crate::EventKind::Panicked) event carries the
/// message (and goes to `tracing`), and the process restarts. Rust's
/// default panic hook still prints each such panic to stderr first, with a
/// backtrace when `RUST_BACKTRACE` is set: noise, when crashes are
/// expected. Call this once, early in `main` (or in a test), to print only
/// the panics nobody catches:
///
/// ```
/// phyx::hide_caught_panics();
/// ```
///
/// It installs a panic hook that stays silent for panics raised inside a
/// phyx process and hands every other panic to the hook that was
/// installed before it. Calling it again does nothing.
pub fn hide_caught_panics() {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !in_process() {
                previous(info);
            }
        }));
    });
}
