//! The proxy's tasks: one accepting, one per connection relaying it.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::{self, Instant};

use super::Direction;
use super::link::{Closing, Link};

/// The most a read takes from a socket at once.
const CHUNK: usize = 16 * 1024;

/// How many chunks wait in one direction, delayed or held by a partition,
/// before the proxy stops reading and the sender's writes block (TCP's
/// backpressure): at most `CHUNK * QUEUE` bytes held per direction.
const QUEUE: usize = 16;

/// How many pieces a second a bandwidth limit writes in: small pieces
/// keep the flow smooth (a chunk is not written at once and then paid for
/// by a long silence), few enough that timer wakeups cost nothing.
const PIECES_PER_SECOND: u64 = 100;

/// Accepts connections until the proxy is gone, relaying each on its own
/// task. Dropping the listener on return refuses new connections.
pub(crate) async fn accept(listener: TcpListener, upstream: SocketAddr, mut link: Link) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = link.gone() => return,
        };
        match accepted {
            Ok((client, _)) => {
                tokio::spawn(serve(client, upstream, link.clone()));
            }
            // Out of file descriptors, say: wait rather than spin.
            Err(_) => time::sleep(Duration::from_millis(10)).await,
        }
    }
}

/// Relays one connection until either side closes or fails, the link is
/// cut or the proxy is gone; then both sockets close, as they drop: with a
/// reset if the link was cut, as when a network fails mid-stream (a
/// client sees `ECONNRESET`, not a clean end of stream).
async fn serve(mut client: TcpStream, upstream: SocketAddr, link: Link) {
    let mut closing = link.clone();
    let mut server = None;
    let closed = tokio::select! {
        closing = closing.closing() => Some(closing),
        _ = relay(&mut client, &mut server, upstream, link) => None,
    };
    if closed == Some(Closing::Cut) {
        reset_on_drop(&client);
        if let Some(server) = &server {
            reset_on_drop(server);
        }
    }
}

/// Makes the socket's close send a reset (RST) instead of a clean end of
/// stream (FIN), and drop what it has not sent: a linger of zero.
fn reset_on_drop(stream: &TcpStream) {
    // `set_zero_linger` says the same from tokio 1.50 on; the workspace's
    // floor is 1.45, where this is not deprecated yet. A zero linger never
    // blocks the drop (the deprecation is about the other values).
    #[allow(
        deprecated,
        reason = "`set_zero_linger` needs tokio 1.50; a zero linger does not block"
    )]
    let _ = stream.set_linger(Some(Duration::ZERO));
}

async fn relay(
    client: &mut TcpStream,
    server: &mut Option<TcpStream>,
    upstream: SocketAddr,
    mut link: Link,
) -> io::Result<()> {
    // A partition holds the connection back too: upstream sees it only
    // once healed.
    link.up().await?;
    let server = server.insert(TcpStream::connect(upstream).await?);
    // Small writes go out at once: the proxy adds no latency of its own.
    client.set_nodelay(true)?;
    server.set_nodelay(true)?;
    let (from_client, to_client) = client.split();
    let (from_server, to_server) = server.split();
    tokio::try_join!(
        pipe(from_client, to_server, Direction::Upstream, link.clone()),
        pipe(from_server, to_client, Direction::Downstream, link),
    )?;
    Ok(())
}

/// A chunk on its way, read at `read_at`.
struct Chunk {
    bytes: Vec<u8>,
    read_at: Instant,
}

/// One direction: reads chunks as they come and writes each once due and
/// the link is up, in order, within the bandwidth; at the end of the
/// input, shuts the output down (a half close, passed on), and the other
/// direction goes on.
///
/// Reading and writing are apart so that a delay is latency, not a cap on
/// throughput: a chunk read while another waits is due a delay after its
/// own arrival.
async fn pipe(
    mut from: impl AsyncRead + Unpin,
    mut to: impl AsyncWrite + Unpin,
    direction: Direction,
    link: Link,
) -> io::Result<()> {
    let (queue, mut queued) = mpsc::channel::<Chunk>(QUEUE);
    let read = async move {
        loop {
            let mut bytes = vec![0; CHUNK];
            let n = from.read(&mut bytes).await?;
            if n == 0 {
                // Dropping `queue` lets the writer finish and shut down.
                return Ok(());
            }
            bytes.truncate(n);
            let read_at = Instant::now();
            if queue.send(Chunk { bytes, read_at }).await.is_err() {
                // The writer failed; its error ends the pipe.
                return Ok(());
            }
        }
    };
    let mut writing = link;
    let write = async move {
        let mut paced = Pacer::default();
        while let Some(chunk) = queued.recv().await {
            writing.due(direction, chunk.read_at).await?;
            let mut rest = &chunk.bytes[..];
            while !rest.is_empty() {
                // A partition or a cut may come in the middle of a chunk.
                writing.up().await?;
                let Some(rate) = writing.bandwidth(direction) else {
                    to.write_all(rest).await?;
                    break;
                };
                if let Some(next) = paced.next(rate).filter(|&next| next > Instant::now()) {
                    // Then look again: the rate or the state may change.
                    writing.sleep_until(next).await?;
                    continue;
                }
                let piece = rest.len().min(piece_len(rate));
                paced.sent(piece);
                to.write_all(&rest[..piece]).await?;
                rest = &rest[piece..];
            }
        }
        // The end of the stream crosses no partition either.
        writing.up().await?;
        to.shutdown().await
    };
    tokio::try_join!(read, write)?;
    Ok(())
}

/// The last piece written under a bandwidth limit: the next may go once
/// it would have crossed the link at the rate in force *then*, so that a
/// rate raised mid-wait applies at once. Time idle earns no credit: a
/// link quiet for a while does not then burst above its rate.
#[derive(Default)]
struct Pacer {
    last: Option<(Instant, usize)>,
}

impl Pacer {
    fn next(&self, rate: u64) -> Option<Instant> {
        self.last.map(|(at, len)| at + transfer_time(len, rate))
    }

    fn sent(&mut self, len: usize) {
        self.last = Some((Instant::now(), len));
    }
}

/// The bytes a piece holds at `rate`: a hundredth of a second's worth,
/// at least one byte, at most a chunk.
fn piece_len(rate: u64) -> usize {
    usize::try_from(rate / PIECES_PER_SECOND).map_or(CHUNK, |len| len.clamp(1, CHUNK))
}

/// How long `len` bytes take at `rate` bytes per second (`rate > 0`).
fn transfer_time(len: usize, rate: u64) -> Duration {
    let nanos = len as u128 * 1_000_000_000 / u128::from(rate);
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_are_a_hundredth_of_a_second_within_one_byte_and_a_chunk() {
        assert_eq!(piece_len(1), 1);
        assert_eq!(piece_len(64 * 1024), 655);
        assert_eq!(piece_len(u64::MAX), CHUNK);
    }

    #[test]
    fn transfer_time_is_bytes_over_rate() {
        assert_eq!(transfer_time(655, 65_500), Duration::from_millis(10));
        assert_eq!(transfer_time(3, 1), Duration::from_secs(3));
        assert_eq!(transfer_time(CHUNK, u64::MAX), Duration::ZERO);
    }
}
