//! Calls across nodes (feature `cluster`): a counter on node `a`, asked and
//! told from node `b`, against the same exchange written directly on
//! async-nats, on the same nats-server ([`NatsServer`](crate::nats_server::NatsServer)).
//!
//! Both sides run in this OS process, on one runtime, each with its own
//! NATS connection: every hop of a real deployment but the network between
//! machines (loopback TCP to the server and back). The allocation counter
//! sees both sides: each figure is the caller's and the server's
//! allocations together (the nats-server's own are not counted).
//!
//! | | phyx | async-nats |
//! | --- | --- | --- |
//! | setup | `connect` two nodes, `register` on `a`, `lookup` on `b` | two clients, a task subscribed on `a`'s |
//! | ask | `remote.get().await` | `client.request(subject, empty)`, answered with 8 bytes |
//! | tell | `remote.increment(1).send()`, yielding when refused (the NATS client's queue is full) | `client.publish(subject, 8 bytes)` |
//! | end of the tells | one ask | one request |

use std::time::{Duration, Instant};

use async_nats::{Client, Subscriber};
use bytes::Bytes;
use futures_util::StreamExt;
use phyx::prelude::*;
use phyx::{CallError, SendError};

use crate::{Flavor, Latencies, Meter, Run, run_on};

/// Asks before each measured stretch, so that connections, buffers and
/// the caller's tables are warm.
const WARM_UP: u64 = 200;

/// How long the ask that ends the tells waits before it is taken as lost
/// and asked again.
pub const LOST_ASK: Duration = Duration::from_secs(2);

/// The counter, as a process that other nodes reach.
#[derive(Debug, Default)]
pub struct RemoteCounter {
    count: u64,
}

#[process(remote)]
impl RemoteCounter {
    /// Adds `by`.
    #[public]
    pub fn increment(&mut self, by: u64) {
        self.count += by;
    }

    /// The count.
    #[public]
    pub fn get(&self) -> u64 {
        self.count
    }
}

/// One run of the tell scenario.
#[derive(Debug, Clone, Copy)]
pub struct Tells {
    /// From the first tell until the count came back.
    pub run: Run,
    /// The count that came back: tells sent less tells lost on the way.
    pub delivered: u64,
    /// Tells refused by the NATS client's full queue and sent again (phyx).
    pub refused: u64,
    /// Times the ask for the count was lost on the way (a tell is at most
    /// once, and so is that ask) and asked again after [`LOST_ASK`]; each
    /// adds that wait to the run.
    pub lost_asks: u32,
}

/// One way of calling a counter on another node.
pub trait RemoteSubject {
    /// The name in tables.
    const NAME: &'static str;

    /// `n` sequential asks, after a warm-up.
    fn ask(flavor: Flavor, url: &str, n: u64) -> Latencies;

    /// `n` increments as fast as they go, then one ask for the count.
    fn tell(flavor: Flavor, url: &str, n: u64) -> Tells;
}

/// phyx's cluster: `#[process(remote)]`, `register`, `lookup`.
#[derive(Debug)]
pub struct PhyxRemote;

async fn node(url: &str, name: &str) -> System {
    System::builder()
        .node(name)
        .cluster(url)
        .namespace("bench")
        .connect()
        .await
        .unwrap_or_else(|error| panic!("node `{name}` did not join: {error}"))
}

/// Node `a` serving a counter as `counter`, and node `b` with a handle
/// to it.
async fn nodes(url: &str) -> (System, System, RemoteCounterRef) {
    let a = node(url, "a").await;
    let b = node(url, "b").await;
    let counter = a.spawn(RemoteCounter::default);
    a.register("counter", &counter).await.expect("registered");
    let remote = b.lookup::<RemoteCounterRef>("counter").await.expect("found");
    (a, b, remote)
}

impl RemoteSubject for PhyxRemote {
    const NAME: &'static str = "phyx";

    fn ask(flavor: Flavor, url: &str, n: u64) -> Latencies {
        let url = url.to_owned();
        run_on(flavor, move || async move {
            let (a, b, remote) = nodes(&url).await;
            remote.increment(7).await.expect("started");
            for _ in 0..WARM_UP {
                assert_eq!(remote.get().await.expect("the count"), 7);
            }
            let mut samples = Vec::with_capacity(usize::try_from(n).unwrap_or(0));
            let meter = Meter::start();
            for _ in 0..n {
                let start = Instant::now();
                assert_eq!(remote.get().await.expect("the count"), 7);
                samples.push(start.elapsed());
            }
            let run = meter.stop();
            drop(remote);
            b.shutdown().await;
            a.shutdown().await;
            Latencies::new(samples, run.allocations)
        })
    }

    fn tell(flavor: Flavor, url: &str, n: u64) -> Tells {
        let url = url.to_owned();
        run_on(flavor, move || async move {
            let (a, b, remote) = nodes(&url).await;
            for _ in 0..WARM_UP {
                remote.get().await.expect("started");
            }
            let mut refused = 0;
            let meter = Meter::start();
            for _ in 0..n {
                while let Err(error) = remote.increment(1).send() {
                    match error {
                        SendError::MailboxFull { .. } => {
                            refused += 1;
                            tokio::task::yield_now().await;
                        }
                        other => panic!("{other}"),
                    }
                }
            }
            let mut lost_asks = 0;
            let delivered = loop {
                match remote.get().timeout(LOST_ASK).await {
                    Ok(count) => break count,
                    Err(CallError::Timeout { .. }) => lost_asks += 1,
                    Err(other) => panic!("{other}"),
                }
            };
            let run = meter.stop();
            drop(remote);
            b.shutdown().await;
            a.shutdown().await;
            Tells {
                run,
                delivered,
                refused,
                lost_asks,
            }
        })
    }
}

/// The same on async-nats alone: what phyx's cluster is a layer over.
#[derive(Debug)]
pub struct RawNats;

/// Where the raw counter is served.
const SUBJECT: &str = "bench.counter";

/// An increment's payload: 1, little-endian.
static ONE: [u8; 8] = 1u64.to_le_bytes();

/// A connection whose subscriptions hold `capacity` messages: the
/// counter's must hold every tell, else a counter that falls behind loses
/// them (async-nats drops what does not fit, as a slow consumer) and the
/// count never comes.
async fn connect(url: &str, capacity: usize) -> Client {
    async_nats::ConnectOptions::new()
        .subscription_capacity(capacity)
        .connect(url)
        .await
        .unwrap_or_else(|error| panic!("cannot connect to {url}: {error}"))
}

/// The counter on its own connection: a message without a reply subject
/// adds its 8 bytes (a little-endian `u64`) to the count, one with a
/// reply subject is answered with the count.
async fn count(client: Client, mut subscriber: Subscriber) {
    let mut count = 0u64;
    while let Some(message) = subscriber.next().await {
        match message.reply {
            None => {
                let by = message.payload.first_chunk::<8>().copied().unwrap_or_default();
                count += u64::from_le_bytes(by);
            }
            Some(reply) => {
                let _ = client
                    .publish(reply, Bytes::copy_from_slice(&count.to_le_bytes()))
                    .await;
            }
        }
    }
}

/// The counter's task, able to fall `n` tells behind, and a second
/// connection to call it from.
async fn clients(url: &str, n: u64) -> (tokio::task::JoinHandle<()>, Client) {
    let capacity = usize::try_from(n).unwrap_or(usize::MAX).saturating_add(1024);
    let server = connect(url, capacity).await;
    let subscriber = server.subscribe(SUBJECT).await.expect("subscribed");
    server.flush().await.expect("flushed");
    let task = tokio::spawn(count(server, subscriber));
    // async-nats's default capacity.
    (task, connect(url, 64 * 1024).await)
}

async fn get(caller: &Client) -> u64 {
    let reply = caller.request(SUBJECT, Bytes::new()).await.expect("a reply");
    u64::from_le_bytes(reply.payload.first_chunk::<8>().copied().expect("8 bytes"))
}

impl RemoteSubject for RawNats {
    const NAME: &'static str = "async-nats";

    fn ask(flavor: Flavor, url: &str, n: u64) -> Latencies {
        let url = url.to_owned();
        run_on(flavor, move || async move {
            let (task, caller) = clients(&url, n).await;
            caller
                .publish(SUBJECT, Bytes::from_static(&ONE))
                .await
                .expect("published");
            for _ in 0..WARM_UP {
                assert_eq!(get(&caller).await, 1);
            }
            let mut samples = Vec::with_capacity(usize::try_from(n).unwrap_or(0));
            let meter = Meter::start();
            for _ in 0..n {
                let start = Instant::now();
                assert_eq!(get(&caller).await, 1);
                samples.push(start.elapsed());
            }
            let run = meter.stop();
            task.abort();
            Latencies::new(samples, run.allocations)
        })
    }

    fn tell(flavor: Flavor, url: &str, n: u64) -> Tells {
        let url = url.to_owned();
        run_on(flavor, move || async move {
            let (task, caller) = clients(&url, n).await;
            for _ in 0..WARM_UP {
                get(&caller).await;
            }
            let meter = Meter::start();
            for _ in 0..n {
                caller
                    .publish(SUBJECT, Bytes::from_static(&ONE))
                    .await
                    .expect("published");
            }
            let delivered = get(&caller).await;
            let run = meter.stop();
            task.abort();
            Tells {
                run,
                delivered,
                refused: 0,
                lost_asks: 0,
            }
        })
    }
}
