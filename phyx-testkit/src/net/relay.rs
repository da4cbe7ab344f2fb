//! The proxy's tasks: one accepting, one per connection relaying it.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::{self, Instant};

use super::link::Link;

/// The most a read takes from a socket at once.
const CHUNK: usize = 16 * 1024;

/// How many chunks wait in one direction, delayed or held by a partition,
/// before the proxy stops reading and the sender's writes block (TCP's
/// backpressure): at most `CHUNK * QUEUE` bytes held per direction.
const QUEUE: usize = 16;

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
/// cut or the proxy is gone; then both sockets close, as they drop.
async fn serve(client: TcpStream, upstream: SocketAddr, link: Link) {
    let mut closing = link.clone();
    tokio::select! {
        () = closing.closing() => {}
        _ = relay(client, upstream, link) => {}
    }
}

async fn relay(mut client: TcpStream, upstream: SocketAddr, mut link: Link) -> io::Result<()> {
    // A partition holds the connection back too: upstream sees it only
    // once healed.
    link.up().await?;
    let mut server = TcpStream::connect(upstream).await?;
    // Small writes go out at once: the proxy adds no latency of its own.
    client.set_nodelay(true)?;
    server.set_nodelay(true)?;
    let (from_client, to_client) = client.split();
    let (from_server, to_server) = server.split();
    tokio::try_join!(
        pipe(from_client, to_server, link.clone()),
        pipe(from_server, to_client, link),
    )?;
    Ok(())
}

/// A chunk on its way, due `delay` after it was read.
struct Chunk {
    bytes: Vec<u8>,
    due: Instant,
}

/// One direction: reads chunks as they come and writes each when due and
/// the link is up, in order; at the end of the input, shuts the output
/// down (a half close, passed on), and the other direction goes on.
///
/// Reading and writing are apart so that a delay is latency, not a cap on
/// throughput: a chunk read while another waits is due a delay after its
/// own arrival.
async fn pipe(mut from: impl AsyncRead + Unpin, mut to: impl AsyncWrite + Unpin, link: Link) -> io::Result<()> {
    let (queue, mut queued) = mpsc::channel::<Chunk>(QUEUE);
    let reading = link.clone();
    let read = async move {
        loop {
            let mut bytes = vec![0; CHUNK];
            let n = from.read(&mut bytes).await?;
            if n == 0 {
                // Dropping `queue` lets the writer finish and shut down.
                return Ok(());
            }
            bytes.truncate(n);
            let due = Instant::now() + reading.delay();
            if queue.send(Chunk { bytes, due }).await.is_err() {
                // The writer failed; its error ends the pipe.
                return Ok(());
            }
        }
    };
    let mut writing = link;
    let write = async move {
        while let Some(chunk) = queued.recv().await {
            time::sleep_until(chunk.due).await;
            writing.up().await?;
            to.write_all(&chunk.bytes).await?;
        }
        // The end of the stream crosses no partition either.
        writing.up().await?;
        to.shutdown().await
    };
    tokio::try_join!(read, write)?;
    Ok(())
}
