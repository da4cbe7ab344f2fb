//! The proxy's front: where it listens, and the faults it is told.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use super::link::{Faults, Link, State};
use super::relay;

/// A TCP proxy on loopback in front of one upstream address, with faults
/// on command: latency, a cut, a partition (see [the module](super)).
///
/// Every connection accepted is relayed to the upstream on a connection
/// of its own, each on a tokio task of the runtime that started the proxy.
/// The faults are methods on `&self`, so a proxy shared by tasks can be
/// told from any of them; the last call sets the link's state (up, cut or
/// blackholed), and [`heal`](Self::heal) clears every fault.
///
/// Bounded: each direction of a connection holds about 256 KiB at most
/// in the proxy; beyond that it stops reading, and the sender's writes
/// block, as across a slow or partitioned network.
///
/// Dropping the proxy closes its listener and every connection through it.
#[derive(Debug)]
pub struct FaultProxy {
    addr: SocketAddr,
    /// The one sender: connections watch it, and its drop closes them.
    faults: watch::Sender<Faults>,
}

impl FaultProxy {
    /// Starts a proxy to `upstream` on a free port of `127.0.0.1`, with no
    /// fault. The upstream is dialled for each connection as it comes, so
    /// it may be down (the connection then closes) and come back.
    ///
    /// # Panics
    ///
    /// If `upstream` is not a loopback address: the proxy is for tests on
    /// one machine. If no loopback port can be bound, or outside a tokio
    /// runtime.
    pub async fn start(upstream: SocketAddr) -> Self {
        assert!(
            upstream.ip().is_loopback(),
            "phyx-testkit: a FaultProxy relays to loopback only, not to {upstream}"
        );
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .unwrap_or_else(|error| panic!("phyx-testkit: cannot bind a loopback port: {error}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|error| panic!("phyx-testkit: a bound listener has no address: {error}"));
        let (faults, link) = watch::channel(Faults::default());
        tokio::spawn(relay::accept(listener, upstream, Link::new(link)));
        Self { addr, faults }
    }

    /// The address to connect to instead of the upstream's.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The proxy as a NATS server URL, `nats://127.0.0.1:<port>`: what a
    /// NATS client connects to, to reach the upstream
    /// [`NatsServer`](crate::nats::NatsServer) through the faults.
    pub fn url(&self) -> String {
        format!("nats://{}", self.addr)
    }

    /// Adds `latency` to every chunk of bytes, in each direction (so a
    /// round trip takes twice as long more), from the next chunk read on.
    /// A delay is latency, not a throughput cap: chunks in flight overlap.
    /// `Duration::ZERO` removes it. It runs on tokio's clock, so under a
    /// paused clock it passes as virtual time.
    pub fn delay(&self, latency: Duration) {
        self.faults.send_modify(|faults| faults.delay = latency);
    }

    /// Cuts the link: closes every connection through the proxy (bytes in
    /// flight are lost), and closes each new one as it is accepted, until
    /// [`heal`](Self::heal). Both ends see the connection end, as when a
    /// server goes away.
    pub fn cut(&self) {
        self.faults.send_modify(|faults| faults.state = State::Cut);
    }

    /// Partitions the link: every connection stays open and no byte moves,
    /// in either direction, until [`heal`](Self::heal); new connections
    /// are accepted but not relayed (the upstream sees them only then).
    ///
    /// Bytes sent meanwhile are held, not dropped, and arrive in order once
    /// healed, as TCP retransmits them across a real partition: a TCP
    /// stream never loses bytes in the middle, it stalls or ends. Whether a
    /// connection survives is up to its ends: a NATS client whose pings go
    /// unanswered closes it and reconnects (through the proxy, to a held
    /// connection, until healed). Held bytes are bounded (see the type's
    /// docs): past them, the sender's writes block.
    pub fn blackhole(&self) {
        self.faults.send_modify(|faults| faults.state = State::Blackholed);
    }

    /// Clears every fault: no delay, the link up. Held bytes move on;
    /// connections closed by a cut stay closed.
    pub fn heal(&self) {
        self.faults.send_replace(Faults::default());
    }
}
