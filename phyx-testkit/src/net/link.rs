//! The faults in force, as the proxy sets them and its connections read
//! them.

use std::io;
use std::time::Duration;

use tokio::sync::watch;

/// Every fault at once: what a connection reads before each step.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Faults {
    /// Added to every chunk's way, each direction.
    pub(crate) delay: Duration,
    pub(crate) state: State,
}

/// Whether bytes may move.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum State {
    #[default]
    Up,
    /// Connections close; new ones are closed as they come.
    Cut,
    /// Connections stay open; no byte moves.
    Blackholed,
}

/// A connection's view of the faults. The proxy holds the one sender:
/// when it drops, every view reads as closed.
#[derive(Debug, Clone)]
pub(crate) struct Link(watch::Receiver<Faults>);

impl Link {
    pub(crate) fn new(faults: watch::Receiver<Faults>) -> Self {
        Self(faults)
    }

    /// The delay in force now.
    pub(crate) fn delay(&self) -> Duration {
        self.0.borrow().delay
    }

    /// Until the connections must close: the link is cut (at once if it
    /// is now) or the proxy is gone.
    pub(crate) async fn closing(&mut self) {
        let _ = self.0.wait_for(|faults| faults.state == State::Cut).await;
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
            Err(_) => Err(io::ErrorKind::ConnectionAborted.into()),
        }
    }

    /// Until the proxy is gone.
    pub(crate) async fn gone(&mut self) {
        while self.0.changed().await.is_ok() {}
    }
}
