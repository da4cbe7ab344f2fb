//! The JetStream journal store on a real nats-server: what one client
//! appends, another reads, from any position and across batches; a
//! journal has one writer (a stale one conflicts, never interleaves; a
//! retried append is stored once); snapshots replace each other; a server
//! killed mid-append fails the append, never hangs it, and keeps the
//! batch whole or not at all. An event-sourced process whose node was
//! killed is registered again on another node with every event it
//! persisted.

use std::future::IntoFuture;
use std::time::Duration;

use phyx::System;
use phyx::cluster::JetStreamJournal;
use phyx::journal::{Journal, JournalError, Snapshot};
use phyx_testkit::net::FaultProxy;
use phyx_tests::remote::TallyRef;

use crate::fixture::{DETECTION, node, server};
use crate::nodes::NodeProcess;

/// A bound no timeout or reconnection should come near: reaching it is a
/// hang.
const HANG: Duration = Duration::from_secs(30);

async fn guarded<T>(what: &str, future: impl IntoFuture<Output = T>) -> T {
    tokio::time::timeout(HANG, future)
        .await
        .unwrap_or_else(|_| panic!("{what} hung for {HANG:?}"))
}

/// A writer of its own on `system`'s connection.
fn journals(system: &System) -> JetStreamJournal {
    system.jetstream_journal().expect("a node has the cluster's journals")
}

/// The events at positions `first` to `first + count - 1`, each naming
/// its position.
fn events(first: u64, count: u64) -> Vec<Vec<u8>> {
    (first..first + count)
        .map(|position| format!("event {position}").into_bytes())
        .collect()
}

/// Appends a batch of each size in turn from position 1 on; the events.
async fn write(store: &JetStreamJournal, key: &str, sizes: &[u64]) -> Vec<Vec<u8>> {
    let mut written = Vec::new();
    for &size in sizes {
        let first = written.len() as u64 + 1;
        let batch = events(first, size);
        store
            .append(key, first, batch.clone())
            .await
            .unwrap_or_else(|error| panic!("append at {first}: {error}"));
        written.extend(batch);
    }
    written
}

/// Every event of `key`, `max` a read.
async fn read_all(store: &JetStreamJournal, key: &str, max: usize) -> Vec<Vec<u8>> {
    let mut read = Vec::new();
    loop {
        let from = read.len() as u64 + 1;
        let batch = guarded("a read", store.read(key, from, max))
            .await
            .unwrap_or_else(|error| panic!("read from {from}: {error}"));
        assert!(batch.len() <= max, "a read of at most {max} gave {}", batch.len());
        if batch.is_empty() {
            return read;
        }
        read.extend(batch);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appends_read_back_in_order_across_batch_boundaries() {
    let Some(server) = server() else { return };
    let a = node(&server, "a").await;
    let store = journals(&a);
    assert_eq!(
        store.read("account", 1, 10).await,
        Ok(Vec::new()),
        "a journal never written is empty"
    );
    let written = write(&store, "account", &[1, 3, 5, 2, 10]).await;
    assert_eq!(store.read("account", 1, 100).await, Ok(written.clone()));
    for max in [1, 2, 4, 7, 21] {
        assert_eq!(read_all(&store, "account", max).await, written, "read {max} at a time");
    }
    assert_eq!(store.read("account", 22, 10).await, Ok(Vec::new()), "past the end");
    // The writer goes on where it read to.
    store.append("account", 22, events(22, 2)).await.unwrap();
    assert_eq!(store.read("account", 21, 10).await, Ok(events(21, 3)));
    a.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_goes_on_past_the_bytes_one_fetch_takes() {
    let Some(server) = server() else { return };
    let a = node(&server, "a").await;
    let store = journals(&a);
    // 40 appends of 1,000 events of 512 bytes: 20 MiB, past the 16 MiB a
    // reader's fetch asks for, which the server ends with a status.
    let mut written = Vec::new();
    for first in (1..=40_000).step_by(1000) {
        let batch: Vec<Vec<u8>> = events(first, 1000)
            .into_iter()
            .map(|mut event| {
                event.resize(512, b'.');
                event
            })
            .collect();
        store.append("large", first, batch.clone()).await.unwrap();
        written.extend(batch);
    }
    let read = read_all(&journals(&a), "large", 4096).await;
    assert_eq!(read.len(), written.len());
    assert!(read == written, "the replay read other events than written");
    a.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_client_reads_from_any_position() {
    let Some(server) = server() else { return };
    let (a, b) = (node(&server, "a").await, node(&server, "b").await);
    let writer = journals(&a);
    // Batches of 1 to 4 events, with other journals' messages between
    // them in the stream.
    let mut written = Vec::new();
    for round in 0..40u64 {
        let first = written.len() as u64 + 1;
        let batch = events(first, round % 4 + 1);
        writer.append("orders", first, batch.clone()).await.unwrap();
        written.extend(batch);
        let other = format!("other-{}", round % 3);
        let next = round / 3 + 1;
        writer.append(&other, next, events(next, 1)).await.unwrap();
    }
    let len = written.len() as u64;
    assert_eq!(len, 100);
    for from in [1, 2, 3, 4, 5, 6, 7, 11, 12, 13, 50, 51, 97, 98, 99, 100] {
        // A reader that knows nothing of the journal: found by a search.
        let reader = journals(&b);
        let read = reader.read("orders", from, 5).await.unwrap();
        let start = usize::try_from(from - 1).unwrap();
        let end = (start + 5).min(written.len());
        assert_eq!(read, written[start..end], "5 events from position {from}");
    }
    for from in [101, 102, 500] {
        assert_eq!(
            journals(&b).read("orders", from, 5).await,
            Ok(Vec::new()),
            "from {from}"
        );
    }
    assert_eq!(read_all(&journals(&b), "orders", 3).await, written);
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_is_its_namespace_s() {
    let Some(server) = server() else { return };
    let a = node(&server, "a").await;
    let elsewhere = System::builder()
        .node("a")
        .namespace("elsewhere")
        .cluster(server.url())
        .detection(DETECTION)
        .connect()
        .await
        .unwrap();
    let written = write(&journals(&a), "shared-name", &[3]).await;
    assert_eq!(journals(&elsewhere).read("shared-name", 1, 10).await, Ok(Vec::new()));
    journals(&elsewhere)
        .append("shared-name", 1, events(1, 1))
        .await
        .unwrap();
    assert_eq!(read_all(&journals(&a), "shared-name", 10).await, written);
    a.shutdown().await;
    elsewhere.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_writer_conflicts_and_never_interleaves() {
    let Some(server) = server() else { return };
    let (a, b) = (node(&server, "a").await, node(&server, "b").await);
    let (first, second) = (journals(&a), journals(&b));
    write(&first, "ledger", &[3]).await;
    assert_eq!(
        second.append("ledger", 1, vec![b"mine".to_vec()]).await,
        Err(JournalError::conflict("ledger", 1, 4)),
        "a writer that believes the journal empty"
    );
    assert_eq!(second.read("ledger", 1, 10).await.unwrap().len(), 3);
    // The first writer goes on; the second still believes the journal
    // ends at 3, as a node cut off from the others would.
    first.append("ledger", 4, events(4, 2)).await.unwrap();
    assert_eq!(
        second.append("ledger", 4, vec![b"stale".to_vec()]).await,
        Err(JournalError::conflict("ledger", 4, 6))
    );
    // Now the second knows the end, and the first is the stale one.
    second.append("ledger", 6, events(6, 1)).await.unwrap();
    assert_eq!(
        first.append("ledger", 6, vec![b"stale".to_vec()]).await,
        Err(JournalError::conflict("ledger", 6, 7))
    );
    // A writer that is no phyx store at all, with a message id of its own.
    let raw = async_nats::jetstream::new(async_nats::connect(server.url()).await.unwrap());
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Msg-Id", "someone else");
    headers.insert("Phyx-First", "7");
    headers.insert("Phyx-Count", "1");
    let mut payload = vec![7];
    payload.extend_from_slice(b"event 7");
    raw.publish_with_headers("phyx.default.j.ledger", headers, payload.into())
        .await
        .unwrap()
        .await
        .unwrap();
    assert_eq!(
        second.append("ledger", 7, vec![b"stale".to_vec()]).await,
        Err(JournalError::conflict("ledger", 7, 8)),
        "the server refuses an append after a message the writer did not see"
    );
    assert_eq!(
        read_all(&journals(&b), "ledger", 100).await,
        events(1, 7),
        "no stale event got in"
    );
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_batch_appended_twice_is_stored_once() {
    let Some(server) = server() else { return };
    let (a, b) = (node(&server, "a").await, node(&server, "b").await);
    let (first, second) = (journals(&a), journals(&b));
    assert_eq!(second.read("receipt", 1, 10).await, Ok(Vec::new()));
    first.append("receipt", 1, events(1, 2)).await.unwrap();
    // The second writer believes the journal empty and appends the very
    // same events under the same message id: the server has them.
    assert_eq!(second.append("receipt", 1, events(1, 2)).await, Ok(()));
    assert_eq!(
        journals(&b)
            .append("receipt", 1, vec![b"other".to_vec(), b"events".to_vec()])
            .await,
        Err(JournalError::conflict("receipt", 1, 3)),
        "other events at the same positions"
    );
    assert_eq!(read_all(&journals(&b), "receipt", 10).await, events(1, 2));

    // An append whose acknowledgement is lost: it fails, and the same
    // append again succeeds without storing the events twice.
    let proxy = FaultProxy::start(server.addr()).await;
    let c = System::builder()
        .node("c")
        .cluster(proxy.url())
        .detection(DETECTION)
        .connect()
        .await
        .unwrap();
    let retrying = journals(&c);
    assert_eq!(retrying.read("receipt", 1, 10).await.unwrap().len(), 2);
    // What the server sends back is held (until the heal).
    proxy.downstream().delay(HANG * 10);
    let lost = guarded(
        "an append without its acknowledgement",
        retrying.append("receipt", 3, events(3, 3)),
    )
    .await;
    assert!(matches!(lost, Err(JournalError::Unavailable { .. })), "{lost:?}");
    guarded("the server storing it", async {
        while read_all(&journals(&a), "receipt", 10).await.len() < 5 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    proxy.heal();
    guarded("the append again", async {
        loop {
            match retrying.append("receipt", 3, events(3, 3)).await {
                Ok(()) => break,
                Err(JournalError::Unavailable { .. }) => tokio::time::sleep(Duration::from_millis(50)).await,
                Err(other) => panic!("the same append again: {other}"),
            }
        }
    })
    .await;
    retrying.append("receipt", 6, events(6, 1)).await.unwrap();
    assert_eq!(read_all(&journals(&a), "receipt", 10).await, events(1, 6));
    a.shutdown().await;
    b.shutdown().await;
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_append_the_server_drops_as_a_duplicate_of_another_message_writes_nothing() {
    let Some(server) = server() else { return };
    let a = node(&server, "a").await;
    let store = journals(&a);
    assert_eq!(store.read("invoice", 1, 10).await, Ok(Vec::new()));
    // Another writer's message, on another subject of the stream, under
    // the id of the journal's first append.
    let raw = async_nats::jetstream::new(async_nats::connect(server.url()).await.unwrap());
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Msg-Id", "invoice:1");
    raw.publish_with_headers("phyx.default.j.elsewhere", headers, "x".into())
        .await
        .unwrap()
        .await
        .unwrap();
    let dropped = store.append("invoice", 1, events(1, 1)).await;
    match &dropped {
        Err(JournalError::Unavailable { message, .. }) => {
            assert!(message.contains("duplicate"), "{message}");
            assert!(message.contains("nothing was written"), "{message}");
        }
        other => panic!("expected the append to fail as unavailable, got {other:?}"),
    }
    assert_eq!(journals(&a).read("invoice", 1, 10).await, Ok(Vec::new()));
    a.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshots_replace_each_other_and_a_fresh_reader_resumes_after_one() {
    let Some(server) = server() else { return };
    let (a, b) = (node(&server, "a").await, node(&server, "b").await);
    let store = journals(&a);
    write(&store, "counter", &[2, 2, 2]).await;
    assert_eq!(store.load_snapshot("counter").await, Ok(None));
    let snapshot = |position: u64, bytes: &str| Snapshot {
        position,
        bytes: bytes.as_bytes().to_vec(),
    };
    store.save_snapshot("counter", snapshot(3, "three")).await.unwrap();
    store.save_snapshot("counter", snapshot(6, "six")).await.unwrap();
    assert_eq!(store.load_snapshot("counter").await, Ok(Some(snapshot(6, "six"))));
    store.append("counter", 7, events(7, 3)).await.unwrap();
    let fresh = journals(&b);
    assert_eq!(fresh.load_snapshot("counter").await, Ok(Some(snapshot(6, "six"))));
    assert_eq!(
        fresh.read("counter", 7, 10).await,
        Ok(events(7, 3)),
        "the events after the snapshot"
    );
    assert_eq!(fresh.read("counter", 10, 10).await, Ok(Vec::new()));
    assert_eq!(
        fresh.load_snapshot("other").await,
        Ok(None),
        "snapshots are per journal"
    );
    assert_eq!(read_all(&fresh, "counter", 4).await, events(1, 9), "the events stay");
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_append_fails_it_and_keeps_the_batch_whole_or_not_at_all() {
    let Some(mut server) = server() else { return };
    let proxy = FaultProxy::start(server.addr()).await;
    let writer = System::builder()
        .node("writer")
        .cluster(proxy.url())
        .detection(DETECTION)
        .connect()
        .await
        .unwrap();
    let store = journals(&writer);
    let before = write(&store, "big", &[1, 2]).await;
    let batch = |first: u64, count: u64| -> Vec<Vec<u8>> {
        events(first, count)
            .into_iter()
            .map(|mut event| {
                event.resize(1024, b'.');
                event
            })
            .collect()
    };

    // The server dies while the batch is on its way to it: 256 KiB at
    // 32 KiB/s, killed after 300 ms.
    proxy.upstream().bandwidth(32 * 1024);
    let first_batch = batch(4, 256);
    let appending = tokio::spawn({
        let (store, events) = (store.clone(), first_batch.clone());
        async move { store.append("big", 4, events).await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.kill();
    let failed = guarded("the append the kill interrupted", appending).await.unwrap();
    assert!(matches!(failed, Err(JournalError::Unavailable { .. })), "{failed:?}");
    server.restart();
    proxy.heal();
    let reader = node(&server, "reader").await;
    let after = read_all(&journals(&reader), "big", 1000).await;
    let whole = [before.clone(), first_batch.clone()].concat();
    assert!(
        after == before || after == whole,
        "{} events, neither 3 nor 259",
        after.len()
    );

    // The server stores the batch, and dies before its acknowledgement
    // gets back: the append fails, and the batch is whole after the
    // restart, as is everything acknowledged before.
    let next = after.len() as u64 + 1;
    let second_batch = batch(next, 100);
    // The writer learns where the journal ends (once it is back), so the
    // append is its one round trip.
    guarded("the writer back", async {
        while store.read("big", next, 1).await.is_err() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    proxy.downstream().delay(HANG * 10);
    let appending = tokio::spawn({
        let (store, events) = (store.clone(), second_batch.clone());
        async move { store.append("big", next, events).await }
    });
    let stored = [after.clone(), second_batch.clone()].concat();
    guarded("the server storing the batch", async {
        while read_all(&journals(&reader), "big", 1000).await.len() < stored.len() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    server.kill();
    let failed = guarded("the append whose acknowledgement the kill ate", appending)
        .await
        .unwrap();
    assert!(matches!(failed, Err(JournalError::Unavailable { .. })), "{failed:?}");
    server.restart();
    proxy.heal();
    let reader = node(&server, "reader-2").await;
    assert_eq!(read_all(&journals(&reader), "big", 1000).await, stored);

    // The writer goes on once it is back: the same append again is done
    // (the server has it), and the next one is stored after it.
    guarded("the append again", async {
        loop {
            match store.append("big", next, second_batch.clone()).await {
                Ok(()) => break,
                Err(JournalError::Unavailable { .. }) => tokio::time::sleep(Duration::from_millis(50)).await,
                Err(other) => panic!("the same append again: {other}"),
            }
        }
    })
    .await;
    let last = stored.len() as u64 + 1;
    store.append("big", last, events(last, 1)).await.unwrap();
    let expected = [stored, events(last, 1)].concat();
    assert_eq!(read_all(&journals(&reader), "big", 1000).await, expected);
    reader.shutdown().await;
    writer.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journaled_process_registered_again_on_another_node_has_every_event_it_persisted() {
    let Some(server) = server() else { return };
    let mut a = NodeProcess::tally(&server, "a", "tally");
    let caller = node(&server, "caller").await;
    let tally: TallyRef = caller.lookup("tally").await.unwrap();
    let mut total = 0;
    for amount in 1..=50 {
        total += amount;
        let replied = guarded("an add", tally.add(amount)).await.unwrap();
        assert_eq!(replied, Ok(total), "the reply comes once the amount is persisted");
    }
    // SIGKILL: the node's process state is gone; its journal is not.
    a.kill();
    let _b = NodeProcess::tally(&server, "b", "tally");
    let moved: TallyRef = guarded("the name on node b", async {
        loop {
            if let Ok(found) = caller.lookup::<TallyRef>("tally").await
                && found.tally().await.is_ok()
            {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert_eq!(
        moved.tally().await.unwrap(),
        (total, 50),
        "node b replayed every persisted amount"
    );
    assert_eq!(
        moved.add(1).await.unwrap(),
        Ok(total + 1),
        "and goes on writing the journal"
    );
    caller.shutdown().await;
}
