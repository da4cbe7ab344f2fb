//! The JetStream journal store (features `journal` and `cluster`): its
//! appends against async-nats's JetStream alone on the same nats-server,
//! and a replay of a million events through its reads.
//!
//! | | phyx | async-nats's JetStream |
//! | --- | --- | --- |
//! | setup | a node joined to the server, its [`JetStreamJournal`] | a stream configured as the store's (file storage, limits retention, discard new) |
//! | append | `append(key, n, vec![event])`, one 64-byte event, each awaited before the next: one writer | `publish(subject, the same 64 bytes).await?.await?`, each awaited before the next; and the same with the message the store sends (its four headers, the event with its length) |
//! | replay | a fresh writer's `read(key, from, 4096)` until empty, as a recovery reads | a pull consumer on the journal's subject fetching 4,096 messages at a time until it has them all, nothing decoded |
//!
//! The replays read a journal of a million events written as a thousand
//! appends of a thousand events, and one written as a million appends of
//! one event: the store's format, published by async-nats with 4,096
//! acknowledgements outstanding (its own appends, one round trip each,
//! would take minutes).

use std::collections::VecDeque;
use std::time::Instant;

use async_nats::jetstream::{self, consumer, stream};
use bytes::Bytes;
use phyx::System;
use phyx::cluster::JetStreamJournal;
use phyx::journal::Journal;

use crate::{Flavor, Latencies, Meter, Run, run_on};

/// An event: 64 bytes.
static EVENT: [u8; 64] = [b'e'; 64];

/// Events read at a time, as a recovery reads them.
const READ: usize = 4096;

/// Unconfirmed publishes at most while writing a journal raw.
const WINDOW: usize = 4096;

/// A number no other run of this process has used.
fn unique() -> String {
    static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let run = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{}_{run}", std::process::id())
}

/// A node in a namespace of its own (a stream of its own, empty), its
/// store, and the namespace.
async fn node(url: &str) -> (System, JetStreamJournal, String) {
    let namespace = format!("journal{}", unique());
    let system = System::builder()
        .node("bench")
        .cluster(url)
        .namespace(&namespace)
        .connect()
        .await
        .unwrap_or_else(|error| panic!("the node did not join: {error}"));
    let journal = system.jetstream_journal().expect("a node has the cluster's journals");
    (system, journal, namespace)
}

/// `appends` one-event appends through the store, one after another:
/// each one's latency.
pub fn phyx_appends(flavor: Flavor, url: &str, appends: u64) -> Latencies {
    let url = url.to_owned();
    run_on(flavor, move || async move {
        let (system, journal, _) = node(&url).await;
        // The first append makes the stream.
        journal
            .append("bench", 1, vec![EVENT.to_vec()])
            .await
            .expect("appended");
        let mut samples = Vec::with_capacity(usize::try_from(appends).unwrap_or(0));
        let meter = Meter::start();
        for position in 2..appends + 2 {
            let start = Instant::now();
            journal
                .append("bench", position, vec![EVENT.to_vec()])
                .await
                .expect("appended");
            samples.push(start.elapsed());
        }
        let run = meter.stop();
        system.shutdown().await;
        Latencies::new(samples, run.allocations)
    })
}

/// How async-nats publishes an append.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Raw {
    /// The 64 bytes, no header.
    Plain,
    /// The message the store sends: its headers (message id, expected
    /// last subject sequence, first position, count) and payload.
    AsTheStore,
}

impl Raw {
    /// Both.
    pub const ALL: [Raw; 2] = [Raw::Plain, Raw::AsTheStore];

    /// A label for tables.
    pub fn label(self) -> &'static str {
        match self {
            Raw::Plain => "async-nats, the bytes alone",
            Raw::AsTheStore => "async-nats, the store's message",
        }
    }
}

/// The same bytes (or the store's message) published to a stream of the
/// same kind and acknowledged, one after another.
pub fn raw_appends(flavor: Flavor, url: &str, raw: Raw, appends: u64) -> Latencies {
    let url = url.to_owned();
    run_on(flavor, move || async move {
        let (js, name, subject) = raw_stream(&url).await;
        let mut payload = vec![64u8];
        payload.extend_from_slice(&EVENT);
        let payload = Bytes::from(payload);
        let mut last = 0;
        let mut samples = Vec::with_capacity(usize::try_from(appends).unwrap_or(0));
        let meter = Meter::start();
        // The first makes the server ready, as the store's first append.
        for position in 1..appends + 2 {
            let start = Instant::now();
            let published = match raw {
                Raw::Plain => js.publish(subject.clone(), Bytes::from_static(&EVENT)).await,
                Raw::AsTheStore => {
                    let mut headers = async_nats::HeaderMap::new();
                    headers.insert("Nats-Msg-Id", format!("bench:{position}").as_str());
                    headers.insert("Nats-Expected-Last-Subject-Sequence", last.to_string().as_str());
                    headers.insert("Phyx-First", position.to_string().as_str());
                    headers.insert("Phyx-Count", "1");
                    js.publish_with_headers(subject.clone(), headers, payload.clone()).await
                }
            };
            last = published.expect("sent").await.expect("stored").sequence;
            if position > 1 {
                samples.push(start.elapsed());
            }
        }
        let run = meter.stop();
        let _ = js.delete_stream(&name).await;
        Latencies::new(samples, run.allocations)
    })
}

/// A stream as the store makes its own, its name and a subject of it.
async fn raw_stream(url: &str) -> (jetstream::Context, String, String) {
    let js = jetstream::new(async_nats::connect(url).await.expect("connected"));
    let name = format!("raw{}", unique());
    let subject = format!("{name}.j.bench");
    js.get_or_create_stream(stream::Config {
        name: name.clone(),
        subjects: vec![format!("{name}.j.>")],
        retention: stream::RetentionPolicy::Limits,
        storage: stream::StorageType::File,
        discard: stream::DiscardPolicy::New,
        num_replicas: 1,
        ..Default::default()
    })
    .await
    .expect("the stream");
    (js, name, subject)
}

/// How a journal to replay was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// Appends of a thousand events each, through the store.
    Thousands,
    /// One event per append, in the store's format, by async-nats.
    Singles,
}

impl Written {
    /// Both.
    pub const ALL: [Written; 2] = [Written::Thousands, Written::Singles];

    /// A label for tables.
    pub fn label(self) -> &'static str {
        match self {
            Written::Thousands => "1,000 events per append",
            Written::Singles => "1 event per append",
        }
    }
}

/// A replay's time and allocations: through the store, and async-nats
/// fetching the same messages.
#[derive(Debug, Clone, Copy)]
pub struct Replay {
    /// A fresh writer's `read`s, 4,096 events at a time, until empty.
    pub phyx: Run,
    /// A pull consumer on the journal's subject fetching 4,096 messages
    /// at a time (at most 16 MiB), as the store's does, until it has them
    /// all; nothing decoded.
    pub raw: Run,
}

/// Writes a journal of `events` events as `written` says, then reads it
/// all, through a fresh writer and through async-nats alone.
pub fn replay(flavor: Flavor, url: &str, written: Written, events: u64) -> Replay {
    let url = url.to_owned();
    run_on(flavor, move || async move {
        let (system, journal, namespace) = node(&url).await;
        let messages = match written {
            Written::Thousands => {
                for first in (1..=events).step_by(1000) {
                    let count = (events + 1 - first).min(1000);
                    let batch = vec![EVENT.to_vec(); usize::try_from(count).unwrap_or(0)];
                    journal.append("bench", first, batch).await.expect("appended");
                }
                events.div_ceil(1000)
            }
            Written::Singles => {
                write_singles(&url, &namespace, &journal, events).await;
                events
            }
        };
        let raw = raw_replay(&url, &namespace, messages).await;
        let reader = system.jetstream_journal().expect("a node has the cluster's journals");
        let meter = Meter::start();
        let mut read = 0;
        loop {
            let batch = reader.read("bench", read + 1, READ).await.expect("read");
            if batch.is_empty() {
                break;
            }
            read += batch.len() as u64;
        }
        let phyx = meter.stop();
        assert_eq!(read, events, "the replay read every event");
        system.shutdown().await;
        Replay { phyx, raw }
    })
}

/// `messages` messages of the journal `bench` in `namespace`, fetched.
async fn raw_replay(url: &str, namespace: &str, messages: u64) -> Run {
    use futures_util::StreamExt;
    let js = jetstream::new(async_nats::connect(url).await.expect("connected"));
    let stream = js
        .get_stream(format!("phyx_{namespace}_journal"))
        .await
        .expect("the store's stream");
    let meter = Meter::start();
    let consumer = stream
        .create_consumer(consumer::pull::Config {
            filter_subject: format!("phyx.{namespace}.j.bench"),
            ack_policy: consumer::AckPolicy::None,
            memory_storage: true,
            ..Default::default()
        })
        .await
        .expect("a consumer");
    let mut fetched = 0;
    while fetched < messages {
        let mut batch = consumer
            .fetch()
            .max_messages(READ)
            .max_bytes(16 << 20)
            .messages()
            .await
            .expect("a fetch");
        // The byte limit ends a fetch with an error status.
        while let Some(Ok(_)) = batch.next().await {
            fetched += 1;
        }
    }
    meter.stop()
}

/// `events` one-event messages in the store's format (`Phyx-First`,
/// `Phyx-Count`, each event's length and bytes) on the journal's subject
/// in `namespace`.
async fn write_singles(url: &str, namespace: &str, journal: &JetStreamJournal, events: u64) {
    // The store makes its stream on its first append.
    journal
        .append("bench", 1, vec![EVENT.to_vec()])
        .await
        .expect("appended");
    let js = jetstream::new(async_nats::connect(url).await.expect("connected"));
    let subject = format!("phyx.{namespace}.j.bench");
    let mut payload = vec![64u8];
    payload.extend_from_slice(&EVENT);
    let payload = Bytes::from(payload);
    // The server confirms in order: the oldest first.
    let mut unconfirmed: VecDeque<jetstream::context::PublishAckFuture> = VecDeque::with_capacity(WINDOW);
    for position in 2..=events {
        if unconfirmed.len() >= WINDOW
            && let Some(oldest) = unconfirmed.pop_front()
        {
            oldest.await.expect("stored");
        }
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Phyx-First", position.to_string().as_str());
        headers.insert("Phyx-Count", "1");
        unconfirmed.push_back(
            js.publish_with_headers(subject.clone(), headers, payload.clone())
                .await
                .expect("sent"),
        );
    }
    for oldest in unconfirmed {
        oldest.await.expect("stored");
    }
}

/// `n` events persisted through an event-sourced process whose store is
/// the JetStream journal, against the store's own appends of the same
/// bytes (see [`crate::journal::persist`]).
pub fn persisted(flavor: Flavor, url: &str, n: usize, run: usize) -> crate::journal::Persisted {
    let url = url.to_owned();
    run_on(flavor, move || async move {
        let (system, journal, _) = node(&url).await;
        let persisted = crate::journal::persist(journal, n, run).await;
        system.shutdown().await;
        persisted
    })
}
