//! The fault proxy, in front of plain TCP servers: it relays, delays
//! (each way by itself), slows, resets, partitions and heals. Timings are
//! asserted as lower bounds only (what the proxy holds back, it holds at
//! least that long); the long timeouts guard against hangs.

use std::io::ErrorKind;
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

/// A delay nothing in a test outlives: what it holds arrives only once
/// the delay is lowered.
const HOUR: Duration = Duration::from_secs(3600);

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

/// A proxy in front of a listener the test accepts on itself, and one
/// connection through it: (the proxy, the client's end, the upstream's
/// end), for faults seen one way at a time.
async fn connected() -> (FaultProxy, TcpStream, TcpStream) {
    let upstream = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy = FaultProxy::start(upstream.local_addr().unwrap()).await;
    let client = connect(&proxy).await;
    let (server, _) = timeout(PATIENCE, upstream.accept()).await.unwrap().unwrap();
    server.set_nodelay(true).unwrap();
    (proxy, client, server)
}

/// Reads exactly `len` bytes, or fails the test if they do not come.
async fn read(stream: &mut TcpStream, len: usize) -> Vec<u8> {
    let mut bytes = vec![0; len];
    timeout(PATIENCE, stream.read_exact(&mut bytes))
        .await
        .expect("the bytes did not arrive")
        .unwrap();
    bytes
}

/// `len` bytes of a pattern that shows a byte lost or out of place.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// Whether the connection fails with a reset, not a clean end of stream.
async fn reset(stream: &mut TcpStream) -> bool {
    let mut byte = [0];
    match timeout(PATIENCE, stream.read(&mut byte)).await {
        Ok(Err(error)) => error.kind() == ErrorKind::ConnectionReset,
        Ok(Ok(n)) => panic!("expected a reset, read {n} bytes (0: a clean end of stream)"),
        Err(_) => panic!("expected a reset, the connection stayed open for {PATIENCE:?}"),
    }
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
async fn a_delay_holds_each_direction_by_itself_measured_one_way() {
    let (proxy, mut client, mut server) = connected().await;
    let latency = Duration::from_millis(150);
    proxy.delay(latency);

    // Both ends are in this test, on one clock: each way is timed alone.
    let sent = Instant::now();
    client.write_all(b"up").await.unwrap();
    assert_eq!(read(&mut server, 2).await, b"up");
    let up = sent.elapsed();
    let sent = Instant::now();
    server.write_all(b"down").await.unwrap();
    assert_eq!(read(&mut client, 4).await, b"down");
    let down = sent.elapsed();
    assert!(up >= latency, "upstream took {up:?}");
    assert!(down >= latency, "downstream took {down:?}");
}

#[tokio::test]
async fn an_upstream_delay_holds_only_the_bytes_to_the_upstream() {
    let (proxy, mut client, mut server) = connected().await;
    proxy.upstream().delay(HOUR);
    client.write_all(b"up").await.unwrap();
    server.write_all(b"down").await.unwrap();
    assert_eq!(read(&mut client, 4).await, b"down", "the other way is not delayed");
    assert!(quiet(&mut server).await, "the delayed way is held");

    // A delay lowered applies to the bytes it already holds.
    proxy.upstream().delay(Duration::ZERO);
    assert_eq!(read(&mut server, 2).await, b"up");
}

#[tokio::test]
async fn a_downstream_delay_holds_only_the_bytes_to_the_client() {
    let (proxy, mut client, mut server) = connected().await;
    proxy.downstream().delay(HOUR);
    server.write_all(b"down").await.unwrap();
    client.write_all(b"up").await.unwrap();
    assert_eq!(read(&mut server, 2).await, b"up", "the other way is not delayed");
    assert!(quiet(&mut client).await, "the delayed way is held");

    proxy.heal();
    assert_eq!(read(&mut client, 4).await, b"down", "heal releases what a delay holds");
}

#[tokio::test]
async fn bytes_keep_their_order_when_the_delay_changes_under_them() {
    let (proxy, mut client, mut server) = connected().await;
    proxy.delay(HOUR);
    client.write_all(b"first").await.unwrap();
    assert!(quiet(&mut server).await);
    // Due at once under the new delay, but behind the held chunk.
    proxy.delay(Duration::from_millis(300));
    client.write_all(b"second").await.unwrap();
    assert_eq!(read(&mut server, 11).await, b"firstsecond");
}

/// Sends `len` bytes of a pattern from `from` to `to` through the proxy;
/// returns how long until the last arrived.
async fn transfer(
    from: &mut (impl AsyncWriteExt + Unpin),
    to: &mut (impl AsyncReadExt + Unpin),
    len: usize,
) -> Duration {
    let sent = pattern(len);
    let started = Instant::now();
    let (written, received) = tokio::join!(from.write_all(&sent), async {
        let mut bytes = vec![0; len];
        timeout(PATIENCE, to.read_exact(&mut bytes))
            .await
            .expect("the bytes did not arrive")
            .map(|_| bytes)
    });
    written.unwrap();
    assert!(received.unwrap() == sent, "bytes lost or out of order");
    started.elapsed()
}

/// What arrives on `stream` within [`QUIET`].
async fn arriving(stream: &mut TcpStream) -> Vec<u8> {
    let mut arrived = Vec::new();
    let _ = timeout(QUIET, async {
        let mut bytes = [0; 1024];
        // `read` is cancel safe: the timeout loses no byte.
        while let Ok(n @ 1..) = stream.read(&mut bytes).await {
            arrived.extend_from_slice(&bytes[..n]);
        }
    })
    .await;
    arrived
}

#[tokio::test]
async fn a_bandwidth_limit_slows_each_direction_and_keeps_every_byte() {
    let (proxy, mut client, mut server) = connected().await;
    let rate = 64 * 1024;
    proxy.bandwidth(rate);
    // Two seconds' worth each way, both ways at once: each way has the
    // rate to itself.
    let len = 128 * 1024;
    let (mut client_read, mut client_write) = client.split();
    let (mut server_read, mut server_write) = server.split();
    let (up, down) = tokio::join!(
        transfer(&mut client_write, &mut server_read, len),
        transfer(&mut server_write, &mut client_read, len),
    );
    // A lower bound: the proxy writes no faster than the rate. The first
    // piece (a hundredth of a second's worth) goes at once.
    let least = Duration::from_secs_f64(len as f64 / rate as f64 - 0.01);
    assert!(up >= least, "upstream took {up:?}, the rate allows {least:?} at least");
    assert!(
        down >= least,
        "downstream took {down:?}, the rate allows {least:?} at least"
    );
}

#[tokio::test]
async fn a_one_way_bandwidth_limit_leaves_the_other_way_alone_and_lifts_at_once() {
    let (proxy, mut client, mut server) = connected().await;
    // An hour for this much at this rate.
    proxy.upstream().bandwidth(16);
    let len = 64 * 1024;
    let sent = pattern(len);
    client.write_all(&sent[..len / 2]).await.unwrap();
    transfer(&mut server, &mut client, len).await;
    let trickle = arriving(&mut server).await;
    assert!(trickle.len() < len / 2, "the limit let {} bytes through", trickle.len());
    assert_eq!(trickle, sent[..trickle.len()], "the slow way moves in order");

    proxy.upstream().bandwidth(u64::MAX);
    client.write_all(&sent[len / 2..]).await.unwrap();
    let rest = read(&mut server, len - trickle.len()).await;
    assert!(rest == sent[trickle.len()..], "the rest, in order, once lifted");
}

#[tokio::test]
async fn a_cut_resets_every_connection_at_both_ends_and_each_new_one() {
    let (proxy, mut client, mut server) = connected().await;
    client.write_all(b"hi").await.unwrap();
    assert_eq!(read(&mut server, 2).await, b"hi");

    proxy.cut();
    assert!(reset(&mut client).await, "the client's end is reset");
    assert!(reset(&mut server).await, "the upstream's end is reset");
    let mut new = connect(&proxy).await;
    assert!(reset(&mut new).await, "a new connection is reset at once");
}

#[tokio::test]
async fn after_a_cut_heals_new_connections_are_relayed() {
    let proxy = FaultProxy::start(echo_server().await).await;
    let mut open = connect(&proxy).await;
    assert_eq!(echo(&mut open, b"hi").await, b"hi");
    proxy.cut();
    assert!(reset(&mut open).await, "an open connection is reset");
    let mut new = connect(&proxy).await;
    assert!(reset(&mut new).await, "a new connection is reset at once");
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
    assert!(reset(&mut open).await, "a cut resets held connections");
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
