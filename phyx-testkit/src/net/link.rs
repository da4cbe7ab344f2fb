//! The faults in force, as the proxy sets them and its connections read
//! them.

use std::io;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::{self, Instant};

use super::Direction;

/// Every fault at once: what a connection reads before each step.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Faults {
    /// Bytes from the client to the upstream.
    pub(crate) upstream: Way,
    /// Bytes from the upstream to the client.
    pub(crate) downstream: Way,
    pub(crate) state: State,
}

impl Faults {
    pub(crate) fn way_mut(&mut self, direction: Direction) -> &mut Way {
        match direction {
            Direction::Upstream => &mut self.upstream,
            Direction::Downstream => &mut self.downstream,
        }
    }

    fn way(&self, direction: Direction) -> Way {
        match direction {
            Direction::Upstream => self.upstream,
            Direction::Downstream => self.downstream,
        }
    }
}

/// The faults of one direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Way {
    /// How long after it was read a chunk may be written.
    pub(crate) delay: Duration,
    /// Bytes per second written at most; `None` is no limit. Never zero:
    /// the proxy's front refuses it (a link that moves nothing is a
    /// blackhole, and would divide by zero here).
    pub(crate) bandwidth: Option<u64>,
}

/// Whether bytes may move.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum State {
    #[default]
    Up,
    /// Connections are reset; new ones are reset as they come.
    Cut,
    /// Connections stay open; no byte moves.
    Blackholed,
}

/// Why a connection must end now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Closing {
    /// The link is cut: reset, as a failing network does.
    Cut,
    /// The proxy is gone: closed.
    Gone,
}

/// A connection's view of the faults. The proxy holds the one sender:
/// when it drops, every view reads as closed.
#[derive(Debug, Clone)]
pub(crate) struct Link(watch::Receiver<Faults>);

impl Link {
    pub(crate) fn new(faults: watch::Receiver<Faults>) -> Self {
        Self(faults)
    }

    /// The bandwidth limit of `direction` now.
    pub(crate) fn bandwidth(&self, direction: Direction) -> Option<u64> {
        self.0.borrow().way(direction).bandwidth
    }

    /// Until the connections must close: the link is cut (at once if it
    /// is now) or the proxy is gone.
    pub(crate) async fn closing(&mut self) -> Closing {
        match self.0.wait_for(|faults| faults.state == State::Cut).await {
            Ok(_) => Closing::Cut,
            Err(_) => Closing::Gone,
        }
    }

    /// Until bytes may move: at once unless blackholed or cut.
    ///
    /// # Errors
    ///
    /// When the proxy is gone. While the link is cut this never returns:
    /// the connection's [`closing`](Self::closing) ends it first.
    pub(crate) async fn up(&mut self) -> io::Result<()> {
        match self.0.wait_for(|faults| faults.state == State::Up).await {
            Ok(_) => Ok(()),
            Err(_) => Err(gone()),
        }
    }

    /// Until a chunk read at `read_at` is due in `direction`: its delay
    /// after that, the delay as it is *now*, not as it was when the chunk
    /// was read. So lowering a delay (or healing) releases the chunks it
    /// holds at once, as toxiproxy does when a latency toxic goes, and a
    /// longer one holds them longer.
    ///
    /// # Errors
    ///
    /// When the proxy is gone.
    pub(crate) async fn due(&mut self, direction: Direction, read_at: Instant) -> io::Result<()> {
        loop {
            // Marks the current faults seen: `changed` below wakes only
            // for a later change.
            let due = read_at + self.0.borrow_and_update().way(direction).delay;
            if Instant::now() >= due {
                return Ok(());
            }
            tokio::select! {
                () = time::sleep_until(due) => {}
                changed = self.0.changed() => changed.map_err(|_| gone())?,
            }
        }
    }

    /// Until `at`, or earlier if the faults change: the caller then looks
    /// again (a bandwidth raised mid-wait applies at once).
    ///
    /// # Errors
    ///
    /// When the proxy is gone.
    pub(crate) async fn sleep_until(&mut self, at: Instant) -> io::Result<()> {
        self.0.borrow_and_update();
        tokio::select! {
            () = time::sleep_until(at) => Ok(()),
            changed = self.0.changed() => changed.map_err(|_| gone()),
        }
    }

    /// Until the proxy is gone.
    pub(crate) async fn gone(&mut self) {
        while self.0.changed().await.is_ok() {}
    }
}

fn gone() -> io::Error {
    io::ErrorKind::ConnectionAborted.into()
}
