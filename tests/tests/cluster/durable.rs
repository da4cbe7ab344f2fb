//! `#[process(remote, durable)]`: a tell accepted for a durable process
//! outlives the node that serves it, and is handled (at least once) by
//! whoever registers the name next.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use phyx::SendError;
use phyx_tests::remote::{Journal, JournalRef};

use crate::fixture::{node, server};
use crate::nodes::NodeProcess;

/// A bound nothing here should come near: reaching it is a hang.
const HANG: Duration = Duration::from_secs(60);

/// A file name of its own for this test, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(test: &str) -> Self {
        let unique = format!(
            "phyx-durable-{test}-{}-{:?}",
            std::process::id(),
            std::time::SystemTime::now()
        );
        Self(std::env::temp_dir().join(unique.replace([' ', ':', '{', '}', ','], "_")))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
        let _ = std::fs::remove_file(self.0.with_extension("events"));
    }
}

/// One handling of a tell, as the journal wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Handled {
    entry: u64,
    id: String,
    attempt: u64,
}

/// What a journal wrote, in order.
fn handled(path: &Path) -> Vec<Handled> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        // A line being written as the node was killed.
        .filter(|line| line.split(' ').count() == 3)
        .map(|line| {
            let mut words = line.split(' ');
            let mut next = || words.next().expect("three words");
            Handled {
                entry: next().parse().expect("an entry"),
                id: next().to_owned(),
                attempt: next().parse().expect("an attempt"),
            }
        })
        .collect()
}

/// The entries a journal wrote, in order.
fn entries(path: &Path) -> Vec<u64> {
    handled(path).into_iter().map(|handled| handled.entry).collect()
}

/// Waits until `path` holds at least `count` entries.
async fn until_written(path: &Path, count: usize) -> Vec<u64> {
    let waited = tokio::time::timeout(HANG, async {
        loop {
            let written = entries(path);
            if written.len() >= count {
                return written;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    waited.unwrap_or_else(|_| panic!("the journal hung at {} of {count} entries", entries(path).len()))
}

/// Tells `entry`, waiting while the handle's window is full.
async fn tell(journal: &JournalRef, entry: u64) {
    loop {
        match journal.record(entry).send() {
            Ok(()) => return,
            Err(SendError::MailboxFull { .. }) => tokio::time::sleep(Duration::from_millis(1)).await,
            Err(other) => panic!("the durable tell of {entry} was refused: {other}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tells_sent_while_nobody_serves_the_name_are_handled_by_its_next_holder() {
    let Some(server) = server() else { return };
    let (first, second) = (Scratch::new("first"), Scratch::new("second"));
    let (a, b) = (node(&server, "a").await, node(&server, "b").await);
    let path = first.path().to_owned();
    let served = a.spawn(move || Journal::at(&path));
    a.register("journal", &served).await.unwrap();
    let journal: JournalRef = b.lookup("journal").await.unwrap();
    for entry in 0..100 {
        journal.record(entry).send_wait().await.unwrap();
    }
    assert_eq!(until_written(first.path(), 100).await, (0..100).collect::<Vec<_>>());
    let ids: std::collections::BTreeSet<String> = handled(first.path()).into_iter().map(|handled| handled.id).collect();
    assert_eq!(ids.len(), 100, "each durable tell has its own message id");
    assert!(!ids.contains("-"), "a durable tell came without a message id");

    // Nobody serves the name now; the stream keeps what is told.
    a.shutdown().await;
    for entry in 100..200 {
        tell(&journal, entry).await;
    }
    for entry in 200..300 {
        journal.record(entry).send_wait().await.unwrap();
    }

    let c = node(&server, "c").await;
    let path = second.path().to_owned();
    let next = c.spawn(move || Journal::at(&path));
    c.register("journal", &next).await.unwrap();
    assert_eq!(until_written(second.path(), 200).await, (100..300).collect::<Vec<_>>());
    assert_eq!(entries(first.path()).len(), 100, "the first holder wrote after it left");
    b.shutdown().await;
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_amid_ten_thousand_durable_tells_loses_none() {
    const TELLS: u64 = 10_000;
    const LATE: u64 = 10;
    let Some(server) = server() else { return };
    let log = Scratch::new("killed");
    let mut keeper = NodeProcess::journal(&server, "keeper", "journal", log.path());
    let sender = node(&server, "sender").await;
    let journal: JournalRef = sender.lookup("journal").await.unwrap();

    let telling = tokio::spawn({
        let journal = journal.clone();
        async move {
            for entry in 0..TELLS {
                tell(&journal, entry).await;
                if entry % 100 == 99 {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
            }
        }
    });
    let handled_before_kill = until_written(log.path(), 2_000).await.len();
    keeper.kill();
    tokio::time::timeout(HANG, telling)
        .await
        .expect("the tells hung")
        .expect("every tell was accepted");
    // Found while its node is dead: the handle's asks fail, its tells
    // wait in the stream.
    let late = node(&server, "late").await;
    let found: JournalRef = late.lookup("journal").await.unwrap();
    for entry in TELLS..TELLS + LATE {
        tell(&found, entry).await;
    }

    // The same node, back under its name: the stream's consumer hands it
    // what its first start had not acknowledged, and the rest.
    let _back = NodeProcess::journal(&server, "keeper", "journal", log.path());
    let wanted: Vec<u64> = (0..TELLS + LATE).collect();
    let counts = tokio::time::timeout(HANG, async {
        loop {
            let mut counts = BTreeMap::<u64, usize>::new();
            for entry in entries(log.path()) {
                *counts.entry(entry).or_default() += 1;
            }
            if counts.keys().copied().eq(wanted.iter().copied()) {
                return counts;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap_or_else(|_| {
        let written = entries(log.path());
        let missing = wanted.iter().filter(|entry| !written.contains(entry)).count();
        panic!("{missing} of {} accepted tells were never handled", TELLS + LATE)
    });
    let duplicates: usize = counts.values().map(|count| count - 1).sum();
    let events = std::fs::read_to_string(log.path().with_extension("events")).unwrap_or_default();
    let redelivered = events.lines().filter(|line| line.starts_with("redelivered ")).count();
    eprintln!(
        "durable kill: {} accepted, {} handled ({handled_before_kill} before the kill), {duplicates} twice, {redelivered} redelivered, 0 lost",
        TELLS + LATE,
        (TELLS + LATE) as usize + duplicates
    );
    // A tell is handled again only as a redelivery of the same message:
    // the one the killed start handled but had not yet acknowledged.
    let mut first = BTreeMap::<u64, Handled>::new();
    for again in handled(log.path()) {
        match first.get(&again.entry) {
            None => {
                first.insert(again.entry, again);
            }
            Some(earlier) => {
                assert_eq!(again.id, earlier.id, "entry {} came as two messages", again.entry);
                assert!(
                    again.attempt > earlier.attempt,
                    "entry {} was handled twice, the second time not as a redelivery: {again:?} after {earlier:?}",
                    again.entry
                );
            }
        }
    }
    assert!(
        duplicates <= redelivered,
        "{duplicates} tells were handled twice but only {redelivered} were delivered again"
    );
    sender.shutdown().await;
    late.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn durable_tells_sent_before_and_during_a_partition_are_all_handled_once_it_heals() {
    const BEFORE: u64 = 200;
    const DURING: u64 = 200;
    let Some(server) = server() else { return };
    let log = Scratch::new("partition");
    let proxy = phyx_testkit::net::FaultProxy::start(server.addr()).await;
    let far = phyx::System::builder()
        .node("far")
        .cluster(proxy.url())
        .detection(crate::fixture::DETECTION)
        .connect()
        .await
        .unwrap();
    let path = log.path().to_owned();
    let served = far.spawn(move || Journal::at(&path));
    far.register("journal", &served).await.unwrap();
    let sender = node(&server, "sender").await;
    let journal: JournalRef = sender.lookup("journal").await.unwrap();

    for entry in 0..BEFORE {
        tell(&journal, entry).await;
    }
    proxy.blackhole();
    for entry in BEFORE..BEFORE + DURING {
        tell(&journal, entry).await;
    }
    // Long enough for `far`'s deliveries to go unacknowledged past the
    // acknowledgement wait, and for the sender to declare `far` down;
    // tells go on into the stream meanwhile.
    tokio::time::sleep(crate::fixture::DETECTION * 3).await;
    match tokio::time::timeout(HANG, journal.record(u64::MAX).send_wait()).await {
        Ok(Ok(())) => {}
        other => panic!("a durable send_wait across the partition: {other:?}"),
    }
    proxy.heal();

    let wanted: std::collections::BTreeSet<u64> = (0..BEFORE + DURING).chain([u64::MAX]).collect();
    tokio::time::timeout(HANG, async {
        loop {
            let seen: std::collections::BTreeSet<u64> = entries(log.path()).into_iter().collect();
            if seen == wanted {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap_or_else(|_| {
        let seen: std::collections::BTreeSet<u64> = entries(log.path()).into_iter().collect();
        panic!(
            "{} of {} durable tells were not handled after the partition healed",
            wanted.difference(&seen).count(),
            wanted.len()
        )
    });
    let all = handled(log.path());
    let ids: std::collections::BTreeSet<&str> = all.iter().map(|handled| handled.id.as_str()).collect();
    assert_eq!(ids.len(), wanted.len(), "each tell handled under its own id");
    eprintln!(
        "durable partition: {} accepted, {} handled, {} redelivered, 0 lost",
        wanted.len(),
        all.len(),
        all.iter().filter(|handled| handled.attempt > 1).count()
    );
    sender.shutdown().await;
    far.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_durable_tell_published_again_under_its_id_is_dropped_as_a_duplicate() {
    let Some(server) = server() else { return };
    let log = Scratch::new("duplicate");
    let (a, b) = (node(&server, "a").await, node(&server, "b").await);
    let path = log.path().to_owned();
    let served = a.spawn(move || Journal::at(&path));
    a.register("journal", &served).await.unwrap();
    let journal: JournalRef = b.lookup("journal").await.unwrap();

    // A client that is no node sees the tell go by on the stream's subject.
    let stranger = async_nats::connect(server.url()).await.unwrap();
    let mut watch = stranger.subscribe("phyx.default.d.>").await.unwrap();
    // Answered once the server has taken the subscription above.
    let _ = stranger.request("phyx.nobody", Vec::new().into()).await;
    journal.record(7).send_wait().await.unwrap();
    let next = std::future::poll_fn(|cx| futures_core::Stream::poll_next(std::pin::Pin::new(&mut watch), cx));
    let seen = tokio::time::timeout(HANG, next)
        .await
        .expect("the watch hung")
        .expect("the watch ended");
    assert_eq!(until_written(log.path(), 1).await, [7]);

    let js = async_nats::jetstream::new(stranger);
    let headers = seen.headers.clone().expect("a durable tell has headers");
    for _ in 0..2 {
        let ack = js
            .publish_with_headers(seen.subject.clone(), headers.clone(), seen.payload.clone())
            .await
            .unwrap()
            .await
            .unwrap();
        assert!(ack.duplicate, "the server stored a tell again under its id");
    }
    // The same bytes under a new id are a new tell: handled.
    let mut fresh = async_nats::HeaderMap::new();
    fresh.insert(async_nats::header::NATS_MESSAGE_ID, "stranger-1");
    js.publish_with_headers(seen.subject.clone(), fresh, seen.payload.clone())
        .await
        .unwrap()
        .await
        .unwrap();
    let written = until_written(log.path(), 2).await;
    // Past the fresh one, nothing more comes: the duplicates were dropped.
    journal.record(8).send_wait().await.unwrap();
    let written_then = until_written(log.path(), 3).await;
    assert_eq!(written, [7, 7]);
    assert_eq!(written_then, [7, 7, 8]);
    let ids: Vec<String> = handled(log.path()).into_iter().map(|handled| handled.id).collect();
    assert_eq!(ids[1], "stranger-1");
    a.shutdown().await;
    b.shutdown().await;
}
