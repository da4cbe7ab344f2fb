//! Durable tells across nodes (feature `cluster`): a counter on node `a`
//! whose tells go through a JetStream stream, told from node `b`, against
//! the same on async-nats's JetStream alone, on the same nats-server.
//!
//! | | phyx | async-nats's JetStream |
//! | --- | --- | --- |
//! | setup | `#[process(remote, durable)]` counter registered on `a`, looked up on `b` | a work-queue stream on file storage, a durable pull consumer with explicit acknowledgement, a task on `a`'s connection that counts and acknowledges |
//! | stored | `remote.increment(1).send_wait().await`: back once the server stored it | `js.publish(..).await?.await?`, with a message id: back once the server stored it |
//! | throughput | `remote.increment(1).send()` (yielding while 4,096 are unconfirmed), until the counter has all | publishes with message ids, 4,096 acknowledgements outstanding at most, until the consumer has acknowledged all |

use std::time::{Duration, Instant};

use async_nats::jetstream::{self, consumer, stream};
use bytes::Bytes;
use futures_util::StreamExt;
use phyx::SendError;
use phyx::prelude::*;

use crate::{Flavor, Meter, Run, run_on};

/// Unconfirmed publishes at most, for both: phyx's window.
const WINDOW: usize = 4096;

/// An increment's payload: 1, little-endian.
static ONE: [u8; 8] = 1u64.to_le_bytes();

/// The counter, whose tells outlive its node.
#[derive(Debug, Default)]
pub struct DurableCounter {
    count: u64,
}

#[process(remote, durable)]
impl DurableCounter {
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

/// What one run measured.
#[derive(Debug, Clone)]
pub struct Durable {
    /// `n` stored tells one after another: each one's round trip.
    pub stored: Vec<Duration>,
    /// `n` tells as fast as they go, until all were handled.
    pub throughput: Run,
}

/// One way of telling a counter on another node durably.
pub trait DurableSubject {
    /// The name in tables.
    const NAME: &'static str;

    /// `stored` sequential stored tells, then `told` tells as fast as
    /// they go.
    fn run(flavor: Flavor, url: &str, stored: u64, told: u64) -> Durable;
}

/// phyx: `#[process(remote, durable)]`.
#[derive(Debug)]
pub struct PhyxDurable;

/// async-nats's JetStream alone.
#[derive(Debug)]
pub struct RawJetStream;

async fn node(url: &str, name: &str, namespace: &str) -> System {
    System::builder()
        .node(name)
        .cluster(url)
        .namespace(namespace)
        .connect()
        .await
        .unwrap_or_else(|error| panic!("node `{name}` did not join: {error}"))
}

impl DurableSubject for PhyxDurable {
    const NAME: &'static str = "phyx";

    fn run(flavor: Flavor, url: &str, stored: u64, told: u64) -> Durable {
        let url = url.to_owned();
        run_on(flavor, move || async move {
            // A namespace per run: a stream of its own, empty.
            let namespace = format!("durable{}", unique());
            let a = node(&url, "a", &namespace).await;
            let b = node(&url, "b", &namespace).await;
            let counter = a.spawn(DurableCounter::default);
            a.register("counter", &counter).await.expect("registered");
            let remote: DurableCounterRef = b.lookup("counter").await.expect("found");
            let mut samples = Vec::with_capacity(usize::try_from(stored).unwrap_or(0));
            for _ in 0..stored {
                let start = Instant::now();
                remote.increment(1).send_wait().await.expect("stored");
                samples.push(start.elapsed());
            }
            until(&remote, stored).await;
            let meter = Meter::start();
            for _ in 0..told {
                loop {
                    match remote.increment(1).send() {
                        Ok(()) => break,
                        Err(SendError::MailboxFull { .. }) => tokio::task::yield_now().await,
                        Err(other) => panic!("{other}"),
                    }
                }
            }
            until(&remote, stored + told).await;
            let throughput = meter.stop();
            drop(remote);
            b.shutdown().await;
            a.shutdown().await;
            Durable {
                stored: samples,
                throughput,
            }
        })
    }
}

/// A number no other run of this process has used.
fn unique() -> String {
    static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let run = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{}_{run}", std::process::id())
}

/// Waits until the counter has counted `count`.
async fn until(remote: &DurableCounterRef, count: u64) {
    while remote.get().await.expect("the count") < count {
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
}

impl DurableSubject for RawJetStream {
    const NAME: &'static str = "async-nats";

    fn run(flavor: Flavor, url: &str, stored: u64, told: u64) -> Durable {
        let url = url.to_owned();
        run_on(flavor, move || async move {
            let name = format!("raw{}", unique());
            let subject = format!("bench.{name}");
            let serving = async_nats::connect(&url).await.expect("connected");
            let js = jetstream::new(serving);
            let stream = js
                .get_or_create_stream(stream::Config {
                    name: name.clone(),
                    subjects: vec![subject.clone()],
                    retention: stream::RetentionPolicy::WorkQueue,
                    storage: stream::StorageType::File,
                    ..Default::default()
                })
                .await
                .expect("the stream");
            let consumer = stream
                .get_or_create_consumer(
                    "counter",
                    consumer::pull::Config {
                        durable_name: Some("counter".into()),
                        ack_policy: consumer::AckPolicy::Explicit,
                        max_ack_pending: 1024,
                        ..Default::default()
                    },
                )
                .await
                .expect("the consumer");
            let (counted, mut count) = tokio::sync::watch::channel(0u64);
            let counting = tokio::spawn(async move {
                let mut messages = consumer.messages().await.expect("messages");
                let mut total = 0;
                while let Some(Ok(message)) = messages.next().await {
                    total += 1;
                    let _ = message.ack().await;
                    let _ = counted.send(total);
                }
            });
            let caller = jetstream::new(async_nats::connect(&url).await.expect("connected"));
            let mut ids = 0u64;
            let mut publish = || {
                ids += 1;
                let mut headers = async_nats::HeaderMap::new();
                headers.insert(async_nats::header::NATS_MESSAGE_ID, ids.to_string().as_str());
                caller.publish_with_headers(subject.clone(), headers, Bytes::from_static(&ONE))
            };
            let mut samples = Vec::with_capacity(usize::try_from(stored).unwrap_or(0));
            for _ in 0..stored {
                let start = Instant::now();
                publish().await.expect("sent").await.expect("stored");
                samples.push(start.elapsed());
            }
            let _ = count.wait_for(|&total| total >= stored).await;
            let meter = Meter::start();
            // The server confirms in order: the oldest first.
            let mut unconfirmed: std::collections::VecDeque<jetstream::context::PublishAckFuture> =
                std::collections::VecDeque::with_capacity(WINDOW);
            for _ in 0..told {
                if unconfirmed.len() >= WINDOW
                    && let Some(oldest) = unconfirmed.pop_front()
                {
                    oldest.await.expect("stored");
                }
                unconfirmed.push_back(publish().await.expect("sent"));
            }
            for oldest in unconfirmed {
                oldest.await.expect("stored");
            }
            let _ = count.wait_for(|&total| total >= stored + told).await;
            let throughput = meter.stop();
            counting.abort();
            let _ = js.delete_stream(&name).await;
            Durable {
                stored: samples,
                throughput,
            }
        })
    }
}
