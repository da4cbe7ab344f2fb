//! `Ctx::attach`: a stream's items as messages of a process, on virtual time.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;
use phyx::SpawnOptions;
use phyx::event::EventKind;
use phyx::prelude::*;
use phyx_testkit::TestSystem;
use phyx_tests::Gate;
use tokio::sync::mpsc;

const SECOND: Duration = Duration::from_secs(1);

/// The items sent into a channel, as a stream that records its drop.
struct Feed {
    items: mpsc::UnboundedReceiver<u64>,
    dropped: Arc<AtomicBool>,
}

impl Stream for Feed {
    type Item = u64;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<u64>> {
        self.items.poll_recv(cx)
    }
}

impl Drop for Feed {
    fn drop(&mut self) {
        self.dropped.store(true, Ordering::SeqCst);
    }
}

struct Source {
    items: mpsc::UnboundedSender<u64>,
    dropped: Arc<AtomicBool>,
}

fn feed() -> (Source, Feed) {
    let (sender, items) = mpsc::unbounded_channel();
    let dropped = Arc::new(AtomicBool::new(false));
    let source = Source {
        items: sender,
        dropped: dropped.clone(),
    };
    (source, Feed { items, dropped })
}

impl Source {
    fn send(&self, item: u64) {
        self.items.send(item).expect("the feed is attached");
    }

    fn is_dropped(&self) -> bool {
        self.dropped.load(Ordering::SeqCst)
    }
}

#[derive(Default)]
struct Sink {
    seen: Vec<u64>,
}

#[process]
impl Sink {
    #[public]
    fn listen(&mut self, ctx: &mut Ctx<Self>, feed: Feed) {
        ctx.attach(feed, |sink, item| sink.take(item));
    }

    /// A feed whose mapping panics on item 13.
    #[public]
    fn listen_carelessly(&mut self, ctx: &mut Ctx<Self>, feed: Feed) {
        ctx.attach(feed, |sink, item| {
            assert!(item != 13, "unlucky item");
            sink.take(item)
        });
    }

    #[public]
    fn take(&mut self, item: u64) {
        assert!(item != 0, "item 0 crashes the sink");
        self.seen.push(item);
    }

    #[public]
    fn seen(&self) -> Vec<u64> {
        self.seen.clone()
    }

    #[public]
    async fn hold(&self, gate: Gate) {
        gate.pass().await;
    }
}

#[tokio::test]
async fn items_arrive_in_order_as_messages_and_the_end_of_the_stream_ends_it() {
    let t = TestSystem::new();
    let sink = t.system().spawn(Sink::default);
    let (source, feed) = feed();
    sink.listen(feed).await.unwrap();
    for item in 1..=5 {
        source.send(item);
    }
    t.settle().await;
    assert_eq!(sink.seen().await, Ok(vec![1, 2, 3, 4, 5]));

    drop(source.items);
    t.settle().await;
    assert!(source.dropped.load(Ordering::SeqCst), "the ended stream was dropped");
    assert_eq!(sink.seen().await, Ok(vec![1, 2, 3, 4, 5]), "the process goes on");
}

#[tokio::test]
async fn a_restart_keeps_the_stream_and_a_stop_for_good_ends_it() {
    let t = TestSystem::new();
    let sink = t.system().spawn(Sink::default);
    let (source, feed) = feed();
    sink.listen(feed).await.unwrap();
    source.send(1);
    source.send(0); // crashes the sink
    source.send(2); // handled by the next instance
    t.advance(SECOND).await;
    assert_eq!(sink.seen().await, Ok(vec![2]), "fresh state, same stream");
    assert!(!source.is_dropped());

    Handle::stop(&sink).await;
    t.settle().await;
    assert!(source.is_dropped(), "a stop for good drops the stream");
}

#[tokio::test]
async fn a_full_backpressured_mailbox_slows_the_stream_and_loses_nothing() {
    let t = TestSystem::new();
    let sink = t.system().spawn_with(
        Sink::default,
        SpawnOptions::new().mailbox(2).overflow(phyx::Overflow::Backpressure),
    );
    let (source, feed) = feed();
    sink.listen(feed).await.unwrap();
    let gate = Gate::new();
    let held = tokio::spawn(sink.hold(gate.clone()).into_future());
    gate.entered().await;
    for item in 1..=50 {
        source.send(item);
    }
    t.settle().await;
    gate.open();
    held.await.unwrap().unwrap();
    t.settle().await;
    assert_eq!(sink.seen().await, Ok((1..=50).collect::<Vec<_>>()));
}

#[tokio::test]
async fn a_panic_in_the_mapping_ends_the_stream_and_not_the_process() {
    let t = TestSystem::new();
    let sink = t.system().spawn(Sink::default);
    let (source, feed) = feed();
    sink.listen_carelessly(feed).await.unwrap();
    for item in [11, 12, 13, 14] {
        source.send(item);
    }
    t.settle().await;
    assert!(source.is_dropped(), "the feed ended at the panic");
    assert_eq!(sink.seen().await, Ok(vec![11, 12]));
    let panicked = t.events().all().iter().any(|recorded| {
        matches!(&recorded.event.kind, EventKind::Panicked { method: None, message } if &**message == "unlucky item")
    });
    assert!(panicked, "the panic is reported as an event of the sink");
    assert_eq!(sink.seen().await, Ok(vec![11, 12]), "the sink kept its state");
}
