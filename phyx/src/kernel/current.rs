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

use crate::kernel::system::SystemInner;
use crate::kernel::tree::Core;
use crate::panic::{CatchPanics, catch_panics};

/// The process being polled on this thread, by the addresses of its core
/// and of its system: compared, never followed. Plain numbers, so that the
/// thread-local costs no destructor check and no reference count, on a
/// path taken at every poll of every process.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Current {
    core: usize,
    system: usize,
}

impl Current {
    const NONE: Self = Self { core: 0, system: 0 };
}

thread_local! {
    static CURRENT: Cell<Current> = const { Cell::new(Current::NONE) };
}

/// Whether the code running now is a handler (or hook) of the process
/// whose core is `core`.
pub(crate) fn is(core: &Core) -> bool {
    CURRENT.get().core == core.address()
}

/// Whether the code running now belongs to the process whose core is
/// `core` or to one of its descendants, which stop with it.
pub(crate) fn is_within(core: &Core) -> bool {
    let current = CURRENT.get().core;
    current != 0 && (current == core.address() || core.children.contain(current))
}

/// Whether the code running now belongs to any process.
pub(crate) fn in_process() -> bool {
    CURRENT.get() != Current::NONE
}

/// Whether the code running now belongs to a process of `system`.
pub(crate) fn in_system(system: &SystemInner) -> bool {
    CURRENT.get().system == std::ptr::from_ref(system).addr()
}

/// Runs `f`, synchronous user code for the process whose core is `core`
/// (a `Deserialize` of its arguments, arrived from another node), as that
/// process's: a panic in it is one of the process's caught panics, which
/// [`hide_caught_panics`] keeps quiet. It does not catch the panic.
#[cfg(feature = "cluster")]
pub(crate) fn as_process<R>(core: &Core, f: impl FnOnce() -> R) -> R {
    struct Restore(Current);
    impl Drop for Restore {
        fn drop(&mut self) {
            CURRENT.set(self.0);
        }
    }
    let _restore = Restore(CURRENT.replace(Current {
        core: core.address(),
        system: Arc::as_ptr(&core.system).addr(),
    }));
    f()
}

/// Runs `future` as user code of the process whose core is `core`: it is
/// the current process during every poll, and a panic in any poll (or in
/// the drop of what the future holds) ends the future with the panic's
/// message instead of unwinding into the runtime.
pub(crate) fn isolated<F: Future>(core: &Core, future: F) -> Isolated<F> {
    Isolated {
        current: Current {
            core: core.address(),
            system: Arc::as_ptr(&core.system).addr(),
        },
        future: catch_panics(future),
    }
}

pin_project! {
    /// The future of [`isolated`]; a struct so that the process instance
    /// it runs is stored once, in place.
    pub(crate) struct Isolated<F> {
        current: Current,
        #[pin]
        future: CatchPanics<F>,
    }
}

impl<F: Future> Future for Isolated<F> {
    type Output = Result<F::Output, Arc<str>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let previous = CURRENT.replace(*this.current);
        let polled = this.future.poll(cx);
        CURRENT.set(previous);
        polled
    }
}

/// Keeps the panics phyx catches off stderr, while every other panic is
/// reported as before.
///
/// A panic in a process's code (a handler, a hook, its factory, the drop
/// of its state) is caught by phyx: the caller gets
/// [`CallError::Panicked`](crate::CallError::Panicked), an
/// [`EventKind::Panicked`](crate::event::EventKind::Panicked) event carries the
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
