//! Timers: the handle of a tell scheduled with
//! [`send_after`](crate::Call::send_after) or
//! [`send_every`](crate::Call::send_every), and the task behind it.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::kernel::addr::Addr;
use crate::kernel::process::Message;
use crate::kernel::tree::Flag;

/// A scheduled tell, from [`Call::send_after`](crate::Call::send_after)
/// (once) or [`Call::send_every`](crate::Call::send_every) (repeating):
/// [`cancel`](Self::cancel) it, or ask whether it is still
/// [active](Self::is_active).
///
/// Dropping a `Timer` does **not** cancel it, as dropping a tokio
/// `JoinHandle` does not abort its task: a handler can schedule a message
/// with `send_after(d)?;` and forget it. Keep the `Timer` (it is cheap to
/// clone) to cancel it later.
///
/// A timer ends when it fires (`send_after`), when it is cancelled, when
/// its process stops for good (a restart does not end it: the process
/// keeps its mailbox) and when the system shuts down.
///
/// # Examples
///
/// ```
/// use phyx::prelude::*;
/// use std::time::Duration;
///
/// #[derive(Default)]
/// struct Clock { ticks: u32 }
///
/// #[process]
/// impl Clock {
///     #[public]
///     fn tick(&mut self) { self.ticks += 1; }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), phyx::SendError> {
/// let system = System::new();
/// let clock = system.spawn(Clock::default);
/// let timer = clock.tick().send_every(Duration::from_secs(1))?;
/// assert!(timer.is_active());
/// timer.cancel();
/// assert!(!timer.is_active());
/// # system.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Timer {
    state: Arc<State>,
}

/// What a timer's handles share with its task.
#[derive(Default)]
struct State {
    /// Raised by `cancel`; the task ends when it sees it.
    cancelled: Flag,
    /// Set once the timer will send nothing more: fired, cancelled,
    /// ended with its process or its system.
    ended: AtomicBool,
}

impl Timer {
    /// Cancels the timer: it sends nothing more. A message it already
    /// queued stays queued. Cancelling a timer that has ended (fired,
    /// been cancelled, lost its process) does nothing.
    ///
    /// ```
    /// # use phyx::prelude::*;
    /// # use std::time::Duration;
    /// # struct Alarm;
    /// # #[process] impl Alarm { #[public] fn ring(&self) {} }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), phyx::SendError> {
    /// # let system = System::new();
    /// # let alarm = system.spawn(|| Alarm);
    /// let timer = alarm.ring().send_after(Duration::from_secs(60))?;
    /// timer.cancel(); // never rings
    /// timer.cancel(); // harmless
    /// # Ok(())
    /// # }
    /// ```
    pub fn cancel(&self) {
        self.state.ended.store(true, Ordering::Release);
        self.state.cancelled.raise();
    }

    /// Whether the timer may still send: `false` once it has fired (for
    /// `send_after`), been cancelled, or ended with its process (stopped
    /// for good) or its system (shut down).
    ///
    /// ```
    /// # use phyx::prelude::*;
    /// # use std::time::Duration;
    /// # struct Alarm;
    /// # #[process] impl Alarm { #[public] fn ring(&self) {} }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), phyx::SendError> {
    /// # let system = System::new();
    /// # let alarm = system.spawn(|| Alarm);
    /// let timer = alarm.ring().send_after(Duration::from_millis(1))?;
    /// assert!(timer.is_active());
    /// # Ok(())
    /// # }
    /// ```
    pub fn is_active(&self) -> bool {
        !self.state.ended.load(Ordering::Acquire)
    }
}

impl fmt::Debug for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timer").field("active", &self.is_active()).finish()
    }
}

/// Sets `ended` however the task ends: done, cancelled, or dropped with
/// the system's runtime.
struct Ended(Arc<State>);

impl Drop for Ended {
    fn drop(&mut self) {
        self.0.ended.store(true, Ordering::Release);
    }
}

/// Runs `body`, the sleeps and sends of a timer addressed to `addr`, until
/// it returns, the timer is cancelled, the process stops for good or the
/// system shuts down.
pub(crate) fn start<M: Message>(addr: &Addr<M>, body: impl Future<Output = ()> + Send + 'static) -> Timer {
    let state = Arc::new(State::default());
    let timer = Timer { state: state.clone() };
    let process = addr.clone();
    let system = addr.core().system.clone();
    // Made out here, so that it is dropped even with a task never polled.
    let ended = Ended(state);
    system.spawn_timer(async move {
        tokio::select! {
            () = body => {}
            () = ended.0.cancelled.raised() => {}
            () = process.core().stopped() => {}
        }
    });
    timer
}
