//! Knowing when every task of the runtime waits, without moving tokio's
//! paused clock.
//!
//! The usual way, a short tokio sleep, ends only because the paused clock
//! jumps to it once the runtime is idle: each look moves tokio's time by a
//! millisecond (its timer wheel's resolution), or by an hour when the next
//! tokio timer is an hour away. This one moves nothing.
//!
//! How (tokio 1.45 and later, current-thread runtime):
//!
//! - The scheduler parks its driver in two ways: idle, when no task can
//!   run, and in passing, to poll I/O and timers while busy. Only idle parks
//!   are counted (`RuntimeMetrics::worker_park_count`).
//! - A datagram sent to ourselves is seen by the I/O driver at the next park
//!   of either kind, and wakes the waiting task; when that park was an idle
//!   one, the count has moved.
//! - A task woken during a park tells tokio's time driver that the park
//!   ended early, and it skips the auto-advance (`did_wake` in
//!   `Driver::park_thread_timeout`, tokio's `runtime/time/mod.rs`).

use std::io;

use tokio::runtime::RuntimeMetrics;

/// Resolves at the runtime's next idle moment; see the module docs.
pub(crate) struct IdleProbe {
    loopback: Loopback,
    metrics: RuntimeMetrics,
}

impl IdleProbe {
    /// A probe of the current runtime.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime, or in one without its I/O driver.
    #[track_caller]
    pub(crate) fn new() -> Self {
        // tokio panics without its I/O driver (no fallible way to ask);
        // say what to do about it, at the caller's line.
        let Ok(loopback) = std::panic::catch_unwind(Loopback::new) else {
            panic!(
                "TestSystem needs tokio's I/O driver: `#[tokio::test]` enables it; \
                 build a runtime of your own with `enable_all()`"
            );
        };
        let loopback = loopback.unwrap_or_else(|error| panic!("the test kit's idle probe: {error}"));
        Self {
            loopback,
            metrics: tokio::runtime::Handle::current().metrics(),
        }
    }

    /// Resolves once every other task of the runtime waits (on a timer, a
    /// channel, I/O...), without moving tokio's clock.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a datagram left behind is drained by the next call.
    pub(crate) async fn wait(&self) {
        loop {
            self.loopback.drain();
            let parks = self.metrics.worker_park_count(0);
            self.loopback.ping();
            self.loopback.pinged().await;
            if self.metrics.worker_park_count(0) != parks {
                return;
            }
        }
    }
}

/// A socket that sends to itself.
struct Loopback {
    #[cfg(unix)]
    sender: tokio::net::UnixDatagram,
    #[cfg(unix)]
    receiver: tokio::net::UnixDatagram,
    #[cfg(not(unix))]
    socket: tokio::net::UdpSocket,
}

impl Loopback {
    #[cfg(unix)]
    fn new() -> io::Result<Self> {
        let (sender, receiver) = tokio::net::UnixDatagram::pair()?;
        Ok(Self { sender, receiver })
    }

    #[cfg(not(unix))]
    fn new() -> io::Result<Self> {
        let socket = std::net::UdpSocket::bind((std::net::Ipv4Addr::LOCALHOST, 0))?;
        socket.connect(socket.local_addr()?)?;
        socket.set_nonblocking(true)?;
        Ok(Self {
            socket: tokio::net::UdpSocket::from_std(socket)?,
        })
    }

    #[cfg(unix)]
    fn sender(&self) -> &tokio::net::UnixDatagram {
        &self.sender
    }

    #[cfg(unix)]
    fn receiver(&self) -> &tokio::net::UnixDatagram {
        &self.receiver
    }

    #[cfg(not(unix))]
    fn sender(&self) -> &tokio::net::UdpSocket {
        &self.socket
    }

    #[cfg(not(unix))]
    fn receiver(&self) -> &tokio::net::UdpSocket {
        &self.socket
    }

    /// Sends one byte, which the I/O driver sees at its next poll.
    fn ping(&self) {
        // Drained just before, so there is room; a lost ping would only
        // leave the probe waiting for the next one.
        if let Err(error) = self.sender().try_send(&[0]) {
            panic!("the test kit's idle probe could not send to itself: {error}");
        }
    }

    /// Resolves once the I/O driver has seen a ping.
    async fn pinged(&self) {
        // An error is a wake-up too: the caller checks what it came for.
        let _ = self.receiver().readable().await;
    }

    /// Reads every ping; the last read, finding none, clears tokio's
    /// readiness, so that `pinged` waits for the next one.
    fn drain(&self) {
        let mut buf = [0; 8];
        while self.receiver().try_recv(&mut buf).is_ok() {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn waiting_for_idle_moves_no_clock_even_with_a_timer_pending() {
        let probe = IdleProbe::new();
        let start = tokio::time::Instant::now();
        let hour = tokio::spawn(tokio::time::sleep(Duration::from_secs(3600)));
        for _ in 0..100 {
            probe.wait().await;
        }
        assert_eq!(tokio::time::Instant::now(), start);
        assert!(!hour.is_finished());
    }

    #[tokio::test(start_paused = true)]
    async fn idle_comes_after_every_task_has_run_its_course() {
        let probe = IdleProbe::new();
        let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel();
        // A chain of tasks, each woken by the last, with yields between.
        let last = (0..50).fold(None, |previous: Option<tokio::sync::oneshot::Receiver<()>>, _| {
            let (done, next) = tokio::sync::oneshot::channel();
            let sender = sender.clone();
            tokio::spawn(async move {
                if let Some(previous) = previous {
                    let _ = previous.await;
                }
                tokio::task::yield_now().await;
                sender.send(()).unwrap();
                let _ = done.send(());
            });
            Some(next)
        });
        drop((sender, last));
        probe.wait().await;
        let mut ran = 0;
        while receiver.try_recv().is_ok() {
            ran += 1;
        }
        assert_eq!(ran, 50);
    }
}
