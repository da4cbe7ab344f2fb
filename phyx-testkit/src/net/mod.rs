//! Network faults between phyx and its NATS server (feature `nats`): a
//! TCP fault proxy, and on Linux network namespaces.
//!
//! [`FaultProxy`] listens on loopback and relays every connection to an
//! upstream address, the toxiproxy way: point the client under test at the
//! proxy, then add latency, slow the link, cut it or partition it, and
//! heal it, in the middle of a test. Each fault applies at once to the
//! connections open and to those that come later.
//!
//! | call | open connections | new connections |
//! |---|---|---|
//! | [`delay(d)`](FaultProxy::delay) | every chunk arrives `d` later, each way | the same |
//! | [`bandwidth(r)`](FaultProxy::bandwidth) | each way moves `r` bytes a second at most | the same |
//! | [`upstream()`](FaultProxy::upstream)`.delay(d)`, [`downstream()`](FaultProxy::downstream)`.bandwidth(r)`, ... | the same, one direction only | the same |
//! | [`cut()`](FaultProxy::cut) | reset (`ECONNRESET` at both ends) | accepted and reset at once |
//! | [`blackhole()`](FaultProxy::blackhole) | open, not a byte moves | accepted, not relayed |
//! | [`heal()`](FaultProxy::heal) | as before the faults; held bytes move on | relayed |
//!
//! On Linux, [`Namespace`] goes a level down, for a process the test runs
//! in a network namespace of its own: a real link (a veth pair) that
//! [`partition`](Namespace::partition) takes down and
//! [`heal`](Namespace::heal) brings back, with the kernel's TCP, not a
//! proxy, in the way. It needs root; without it, a loud skip.
//!
//! What the proxy does not do, of toxiproxy's toxics: drop or corrupt
//! bytes in the middle of a stream (TCP never shows that to its ends),
//! slice or jitter. Timing is real time on tokio's clock: bounds in tests on it
//! should be lower bounds (a delay is at least its delay), never upper
//! ones beyond a generous guard against hangs.
//!
//! ```
//! use phyx_testkit::net::FaultProxy;
//! use std::time::Duration;
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//! use tokio::net::{TcpListener, TcpStream};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let upstream = TcpListener::bind("127.0.0.1:0").await.unwrap();
//! let proxy = FaultProxy::start(upstream.local_addr().unwrap()).await;
//! let mut client = TcpStream::connect(proxy.addr()).await.unwrap();
//! let (mut server, _) = upstream.accept().await.unwrap();
//!
//! proxy.blackhole();
//! client.write_all(b"ping").await.unwrap();
//! let mut ping = [0; 4];
//! let held = tokio::time::timeout(Duration::from_millis(50), server.read_exact(&mut ping));
//! assert!(held.await.is_err(), "nothing crosses a partition");
//! proxy.heal();
//! server.read_exact(&mut ping).await.unwrap();
//! assert_eq!(&ping, b"ping", "held bytes arrive once it heals");
//! # }
//! ```

mod link;
#[cfg(target_os = "linux")]
mod namespace;
mod proxy;
mod relay;

#[cfg(target_os = "linux")]
pub use self::namespace::{Namespace, REQUIRE_NETNS_VAR};
pub use self::proxy::{FaultProxy, OneWay};

/// Which way bytes go through a [`FaultProxy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    /// From the client to the upstream.
    Upstream,
    /// From the upstream to the client.
    Downstream,
}
