//! The proxy's front: where it listens, and the faults it is told.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use super::Direction;
use super::link::{Faults, Link, State};
use super::relay;

/// A TCP proxy on loopback in front of one upstream address, with faults
/// on command: latency, a bandwidth limit, a cut, a partition (see [the
/// module](super)).
///
/// Every connection accepted is relayed to the upstream on a connection
/// of its own, each on a tokio task of the runtime that started the proxy.
/// The faults are methods on `&self`, so a proxy shared by tasks can be
/// told from any of them; the last call sets the link's state (up, cut or
/// blackholed), and [`heal`](Self::heal) clears every fault. Latency and
/// bandwidth are set for both directions at once here, or for one with
/// [`upstream`](Self::upstream) and [`downstream`](Self::downstream).
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

/// The faults of one direction of a [`FaultProxy`], from
/// [`FaultProxy::upstream`] or [`FaultProxy::downstream`]: what its
/// methods set applies to the bytes going that way only.
///
/// ```
/// use phyx_testkit::net::FaultProxy;
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// # let upstream = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
/// let proxy = FaultProxy::start(upstream.local_addr().unwrap()).await;
/// // An asymmetric link: a slow uplink with latency, a fast downlink.
/// proxy.upstream().delay(Duration::from_millis(40));
/// proxy.upstream().bandwidth(64 * 1024);
/// # }
/// ```
#[derive(Debug, Clone, Copy)]
#[must_use = "a direction's view sets nothing until one of its methods is called"]
pub struct OneWay<'a> {
    faults: &'a watch::Sender<Faults>,
    direction: Direction,
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

    /// The faults of the bytes from the client to the upstream only
    /// (toxiproxy's "upstream" stream): requests, for a NATS client.
    pub fn upstream(&self) -> OneWay<'_> {
        self.way(Direction::Upstream)
    }

    /// The faults of the bytes from the upstream to the client only
    /// (toxiproxy's "downstream" stream): what the server delivers.
    pub fn downstream(&self) -> OneWay<'_> {
        self.way(Direction::Downstream)
    }

    fn way(&self, direction: Direction) -> OneWay<'_> {
        OneWay {
            faults: &self.faults,
            direction,
        }
    }

    /// Adds `latency` to every chunk of bytes, in each direction (so a
    /// round trip takes twice as long more); see [`OneWay::delay`].
    pub fn delay(&self, latency: Duration) {
        self.upstream().delay(latency);
        self.downstream().delay(latency);
    }

    /// Limits each direction of every connection to `bytes_per_second`;
    /// see [`OneWay::bandwidth`].
    ///
    /// # Panics
    ///
    /// If `bytes_per_second` is zero.
    pub fn bandwidth(&self, bytes_per_second: u64) {
        self.upstream().bandwidth(bytes_per_second);
        self.downstream().bandwidth(bytes_per_second);
    }

    /// Cuts the link: resets every connection through the proxy (bytes in
    /// flight are lost), and resets each new one as it is accepted, until
    /// [`heal`](Self::heal). Both ends see the connection fail with a
    /// reset (`ECONNRESET`, not a clean end of stream), as when a network
    /// fails under a connection or a middlebox drops it.
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

    /// Clears every fault: no delay, no bandwidth limit, the link up. Held
    /// bytes move on at once, those held by a delay too; connections reset
    /// by a cut stay closed.
    pub fn heal(&self) {
        self.faults.send_replace(Faults::default());
    }
}

impl OneWay<'_> {
    /// Adds `latency` to every chunk of bytes going this way: a chunk
    /// read at `t` is written at `t + latency` at the earliest. A delay
    /// is latency, not a throughput cap: chunks in flight overlap.
    ///
    /// It applies at once to the chunks already held too, since each
    /// waits for the delay in force (a shorter one, or
    /// `Duration::ZERO`, which removes it, releases them), and they keep
    /// their order whatever the changes. It runs on tokio's clock, so
    /// under a paused clock it passes as virtual time.
    pub fn delay(self, latency: Duration) {
        let direction = self.direction;
        self.faults
            .send_modify(|faults| faults.way_mut(direction).delay = latency);
    }

    /// Limits every connection, going this way, to `bytes_per_second`: a
    /// slow link, the bytes written in small pieces (a hundredth of a
    /// second's worth each) no faster than the rate, and no credit
    /// earned while idle. Each connection has the rate to itself
    /// (toxiproxy's bandwidth toxic does the same), and it applies after
    /// any delay. Bytes beyond the rate wait in the proxy (see
    /// [`FaultProxy`]'s bound) and then in the sender's socket, as at a
    /// real bottleneck: what is sent behind a burst waits for the burst.
    ///
    /// `u64::MAX` removes the limit, as [`FaultProxy::heal`] does.
    ///
    /// # Panics
    ///
    /// If `bytes_per_second` is zero: a link that moves nothing is a
    /// [`blackhole`](FaultProxy::blackhole).
    pub fn bandwidth(self, bytes_per_second: u64) {
        assert!(
            bytes_per_second > 0,
            "phyx-testkit: a bandwidth of 0 bytes per second moves nothing; use `blackhole()` for that"
        );
        let limit = (bytes_per_second < u64::MAX).then_some(bytes_per_second);
        let direction = self.direction;
        self.faults
            .send_modify(|faults| faults.way_mut(direction).bandwidth = limit);
    }
}
