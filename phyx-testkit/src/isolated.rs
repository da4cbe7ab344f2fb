//! One process's handlers, without a running system.

use std::time::Duration;

use phyx::testing::{detached, try_recv};
use phyx::{Ctx, Handle, Process, System};

use crate::clock::VirtualClock;

/// A process's state and context, with no task running it: call its
/// methods directly, as plain Rust, in unit tests of business logic.
///
/// Its clock jumps to the deadline of every sleep at once, so handlers
/// that wait (`ctx.sleep`) finish immediately, with `ctx.now()` moved on.
/// Messages sent to [`handle`](Self::handle) (or by the process to
/// `ctx.myself()`) wait until [`run_queued`](Self::run_queued).
///
/// ```
/// use phyx::prelude::*;
/// use phyx_testkit::Isolated;
/// use std::time::Duration;
///
/// #[derive(Default)]
/// struct Ticker { ticks: u32 }
///
/// #[process]
/// impl Ticker {
///     #[public]
///     async fn tick(&mut self, ctx: &mut Ctx<Self>) {
///         ctx.sleep(Duration::from_secs(1)).await;
///         self.ticks += 1;
///         ctx.myself().tick().send().unwrap();
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let mut ticker = Isolated::new(Ticker::default());
/// let (state, ctx) = ticker.parts();
/// state.tick(ctx).await;
/// assert_eq!(ticker.state().ticks, 1);
/// assert_eq!(ticker.run_queued().await, 1); // the tick it sent itself
/// assert_eq!(ticker.state().ticks, 2);
/// assert_eq!(ticker.elapsed(), Duration::from_secs(2));
/// # }
/// ```
pub struct Isolated<T: Process> {
    state: T,
    ctx: Ctx<T>,
    queue: T::Ref,
    clock: VirtualClock,
    // Keeps the context's system (its clock and events) alive.
    _system: System,
}

impl<T: Process> Isolated<T> {
    /// Wraps `state`.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime.
    pub fn new(state: T) -> Self {
        let clock = VirtualClock::auto_advancing();
        let system = System::builder()
            .clock(clock.clone())
            .seed(crate::seed::default_seed())
            .build();
        let (ctx, queue) = detached::<T>(&system, T::NAME);
        Self {
            state,
            ctx,
            queue,
            clock,
            _system: system,
        }
    }

    /// The state.
    pub fn state(&self) -> &T {
        &self.state
    }

    /// The state, to change or to call `&mut self` methods on.
    pub fn state_mut(&mut self) -> &mut T {
        &mut self.state
    }

    /// The state and the context, to call methods that take `ctx`:
    /// `let (state, ctx) = isolated.parts(); state.tick(ctx).await;`.
    pub fn parts(&mut self) -> (&mut T, &mut Ctx<T>) {
        (&mut self.state, &mut self.ctx)
    }

    /// A handle whose messages queue here until
    /// [`run_queued`](Self::run_queued).
    pub fn handle(&self) -> T::Ref {
        self.queue.clone()
    }

    /// Virtual time the handlers have slept so far.
    pub fn elapsed(&self) -> Duration {
        self.clock.elapsed()
    }

    /// Handles, in order, the messages queued so far (including those sent
    /// with `send_after`, whose delay passes at once), but not those they
    /// queue in turn; their callers get the replies. Returns how many were
    /// handled.
    ///
    /// # Panics
    ///
    /// If a handler panics, with its message.
    pub async fn run_queued(&mut self) -> usize {
        // Let `send_after` timer tasks deliver first.
        tokio::task::yield_now().await;
        // Only what is queued now: a handler that queues another message
        // (a tick scheduling the next) must not run forever.
        let queued = self.handle().queued();
        for _ in 0..queued {
            let Some(message) = try_recv(&self.queue) else { break };
            if let Err(panic) = self.state.__handle(&mut self.ctx, message).await {
                panic!("a handler of the isolated `{}` panicked: {panic}", T::NAME);
            }
        }
        queued
    }
}

impl<T: Process> std::fmt::Debug for Isolated<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Isolated")
            .field("process", &T::NAME)
            .field("elapsed", &self.elapsed())
            .finish_non_exhaustive()
    }
}
