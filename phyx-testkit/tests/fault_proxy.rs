//! The fault proxy, in front of plain TCP echo servers: it relays, delays,
//! cuts, partitions and heals. Timings are asserted as lower bounds only;
//! the long timeouts guard against hangs.

use std::net::SocketAddr;
use std::time::Duration;

use phyx_testkit::net::FaultProxy;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, timeout};

/// Longer than anything here should take: only a hang reaches it.
const PATIENCE: Duration = Duration::from_secs(10);

/// How long nothing must arrive to count as held.
const QUIET: Duration = Duration::from_millis(200);

/// An echo server on loopback: every connection gets its bytes back.
async fn echo_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (mut from, mut to) = stream.split();
                let _ = tokio::io::copy(&mut from, &mut to).await;
            });
        }
    });
    addr
}

async fn connect(proxy: &FaultProxy) -> TcpStream {
    let stream = timeout(PATIENCE, TcpStream::connect(proxy.addr()))
        .await
        .unwrap()
        .unwrap();
    stream.set_nodelay(true).unwrap();
    stream
}

/// Sends `message` and reads as many bytes back.
async fn echo(stream: &mut TcpStream, message: &[u8]) -> Vec<u8> {
    stream.write_all(message).await.unwrap();
    let mut back = vec![0; message.len()];
    timeout(PATIENCE, stream.read_exact(&mut back)).await.unwrap().unwrap();
    back
}

/// Whether the connection ends (end of stream or reset), not a byte read.
async fn ends(stream: &mut TcpStream) -> bool {
    let mut byte = [0];
    matches!(timeout(PATIENCE, stream.read(&mut byte)).await, Ok(Ok(0) | Err(_)))
}

/// Whether nothing arrives for [`QUIET`].
async fn quiet(stream: &mut TcpStream) -> bool {
    let mut byte = [0];
    timeout(QUIET, stream.read(&mut byte)).await.is_err()
}

#[tokio::test]
async fn it_relays_each_connection_both_ways() {
    let proxy = FaultProxy::start(echo_server().await).await;
    assert_eq!(proxy.url(), format!("nats://{}", proxy.addr()));
    let mut one = connect(&proxy).await;
    let mut two = connect(&proxy).await;
    assert_eq!(echo(&mut one, b"one").await, b"one");
    assert_eq!(echo(&mut two, b"two").await, b"two");

    // More than the proxy holds per direction, in order, with a reader on
    // the other side all along (an echo would stall otherwise).
    let big: Vec<u8> = (0..4 * 1024 * 1024).map(|i: u32| (i % 251) as u8).collect();
    let (mut from, mut to) = one.split();
    let (sent, back) = tokio::join!(to.write_all(&big), async {
        let mut back = vec![0; big.len()];
        from.read_exact(&mut back).await.map(|_| back)
    });
    sent.unwrap();
    assert!(back.unwrap() == big);
}

#[tokio::test]
async fn a_delay_adds_latency_each_way_on_open_and_new_connections() {
    let proxy = FaultProxy::start(echo_server().await).await;
    let mut open = connect(&proxy).await;
    assert_eq!(echo(&mut open, b"warm").await, b"warm");
    let latency = Duration::from_millis(150);
    proxy.delay(latency);

    let started = Instant::now();
    assert_eq!(echo(&mut open, b"slow").await, b"slow");
    assert!(started.elapsed() >= 2 * latency, "{:?}", started.elapsed());

    let mut new = connect(&proxy).await;
    let started = Instant::now();
    assert_eq!(echo(&mut new, b"slow too").await, b"slow too");
    assert!(started.elapsed() >= 2 * latency, "{:?}", started.elapsed());
}

#[tokio::test]
async fn a_cut_closes_every_connection_and_each_new_one_until_healed() {
    let proxy = FaultProxy::start(echo_server().await).await;
    let mut open = connect(&proxy).await;
    assert_eq!(echo(&mut open, b"hi").await, b"hi");

    proxy.cut();
    assert!(ends(&mut open).await, "an open connection is closed");
    let mut new = connect(&proxy).await;
    assert!(ends(&mut new).await, "a new connection is closed at once");

    proxy.heal();
    let mut after = connect(&proxy).await;
    assert_eq!(echo(&mut after, b"back").await, b"back");
}

#[tokio::test]
async fn a_blackhole_holds_every_byte_until_healed_then_delivers_them() {
    let proxy = FaultProxy::start(echo_server().await).await;
    let mut open = connect(&proxy).await;
    assert_eq!(echo(&mut open, b"hi").await, b"hi");

    proxy.blackhole();
    open.write_all(b"held").await.unwrap();
    assert!(quiet(&mut open).await, "nothing crosses a partition");
    let mut new = connect(&proxy).await;
    new.write_all(b"new").await.unwrap();
    assert!(quiet(&mut new).await, "a new connection is held too");

    proxy.heal();
    let mut held = [0; 4];
    timeout(PATIENCE, open.read_exact(&mut held)).await.unwrap().unwrap();
    assert_eq!(&held, b"held", "the held bytes arrive, in order");
    let mut held = [0; 3];
    timeout(PATIENCE, new.read_exact(&mut held)).await.unwrap().unwrap();
    assert_eq!(&held, b"new");
    assert_eq!(echo(&mut open, b"still open").await, b"still open");
}

#[tokio::test]
async fn heal_clears_a_delay_and_a_cut_ends_a_partition() {
    let proxy = FaultProxy::start(echo_server().await).await;
    let mut open = connect(&proxy).await;
    proxy.blackhole();
    proxy.cut();
    assert!(ends(&mut open).await, "a cut closes held connections");
    proxy.delay(Duration::from_secs(3600));
    proxy.heal();
    let mut after = connect(&proxy).await;
    assert_eq!(echo(&mut after, b"no delay").await, b"no delay");
}

#[tokio::test]
async fn dropping_the_proxy_closes_its_connections_and_its_port() {
    let proxy = FaultProxy::start(echo_server().await).await;
    let addr = proxy.addr();
    let mut open = connect(&proxy).await;
    assert_eq!(echo(&mut open, b"hi").await, b"hi");

    drop(proxy);
    assert!(ends(&mut open).await);
    // The listener closes when its task next runs.
    let refused = timeout(PATIENCE, async {
        while TcpStream::connect(addr).await.is_ok() {
            tokio::task::yield_now().await;
        }
    });
    assert!(refused.await.is_ok(), "the port still accepts");
}

#[tokio::test]
async fn an_upstream_that_is_down_closes_the_connection() {
    let upstream = {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap()
    };
    let proxy = FaultProxy::start(upstream).await;
    let mut client = connect(&proxy).await;
    assert!(ends(&mut client).await);
}

#[tokio::test]
#[should_panic(expected = "relays to loopback only")]
async fn the_upstream_must_be_on_loopback() {
    FaultProxy::start("192.0.2.1:4222".parse().unwrap()).await;
}
