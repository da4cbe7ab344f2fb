//! Asks, tells and their errors across nodes.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use phyx::CallError;
use phyx::prelude::*;

use crate::fixture::{node, server};

#[derive(Default)]
struct Counter {
    count: u64,
}

#[process(remote)]
impl Counter {
    #[public]
    fn add(&mut self, by: u64) -> u64 {
        self.count += by;
        self.count
    }

    #[public]
    fn get(&self) -> u64 {
        self.count
    }

    #[public]
    fn check(&self, limit: u64) -> Result<u64, String> {
        if self.count > limit {
            Err(format!("{} is over {limit}", self.count))
        } else {
            Ok(self.count)
        }
    }

    #[public]
    fn explode(&self) {
        panic!("remote boom");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ask_a_tell_and_a_result_cross_between_nodes() {
    let Some(server) = server() else { return };
    let (a, b) = (node(&server, "a").await, node(&server, "b").await);
    let counter = a.spawn(Counter::default);
    a.register("counter", &counter).await.unwrap();

    let remote: CounterRef = b.lookup("counter").await.unwrap();
    assert_eq!(remote.add(2).await.unwrap(), 2);
    remote.add(3).send().unwrap();
    remote.add(4).send_wait().await.unwrap();
    assert_eq!(remote.get().await.unwrap(), 9);
    assert_eq!(remote.check(5).await.unwrap(), Err("9 is over 5".to_owned()));
    assert_eq!(counter.get().await.unwrap(), 9);

    match remote.explode().await {
        Err(CallError::Panicked { message, .. }) => assert_eq!(&*message, "remote boom"),
        other => panic!("expected Panicked, got {other:?}"),
    }
    // Restarted with fresh state, reached through the same handle.
    assert_eq!(remote.get().await.unwrap(), 0);
    a.shutdown().await;
    b.shutdown().await;
}

/// Keeps what it was told, in order.
#[derive(Default)]
struct Log {
    entries: Vec<u64>,
}

#[process(remote, mailbox = 2, overflow = reject)]
impl Log {
    #[public]
    fn push(&mut self, entry: u64) {
        self.entries.push(entry);
    }

    #[public]
    fn entries(&self) -> Vec<u64> {
        self.entries.clone()
    }

    #[public]
    async fn hold(&self, millis: u64) {
        tokio::time::sleep(std::time::Duration::from_millis(millis)).await;
    }

    #[public]
    fn later(&self, reply: Reply<String>) {
        tokio::spawn(async move { reply.send("replied later".to_owned()) });
    }

    #[public]
    #[rate_limit(per_second = 2, burst = 2)]
    fn limited(&self) -> u64 {
        7
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_from_one_sender_arrive_in_order() {
    let Some(server) = server() else { return };
    let (a, b) = (node(&server, "a").await, node(&server, "b").await);
    let spawned = a.spawn_with(Log::default, phyx::SpawnOptions::new().mailbox(100_000));
    a.register("log", &spawned).await.unwrap();
    let log: LogRef = b.lookup("log").await.unwrap();
    for entry in 0..2_000 {
        if entry % 100 == 0 {
            log.push(entry).await.unwrap();
        } else {
            log.push(entry).send_wait().await.unwrap();
        }
    }
    assert_eq!(log.entries().await.unwrap(), (0..2_000).collect::<Vec<_>>());
    a.shutdown().await;
    b.shutdown().await;
}

/// Slower than any sender: each tell takes a while, and only four fit in
/// the mailbox.
#[derive(Default)]
struct Tally {
    count: u64,
}

#[process(remote, mailbox = 4)]
impl Tally {
    #[public]
    fn add(&mut self) {
        std::thread::sleep(std::time::Duration::from_micros(20));
        self.count += 1;
    }

    #[public]
    fn count(&self) -> u64 {
        self.count
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sender_that_outruns_a_remote_process_is_refused_and_loses_no_tell() {
    let Some(server) = server() else { return };
    let (a, b) = (node(&server, "a").await, node(&server, "b").await);
    let spawned = a.spawn(Tally::default);
    a.register("tally", &spawned).await.unwrap();
    let tally: TallyRef = b.lookup("tally").await.unwrap();
    const TELLS: u64 = 10_000;
    let mut refused = 0u64;
    for _ in 0..TELLS {
        loop {
            match tally.add().send() {
                Ok(()) => break,
                Err(phyx::SendError::MailboxFull { .. }) => {
                    refused += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                }
                Err(other) => panic!("expected Ok or MailboxFull, got {other}"),
            }
        }
    }
    let count = tokio::time::timeout(std::time::Duration::from_secs(60), tally.count())
        .await
        .expect("the count hung")
        .unwrap();
    // Told to wait, as by a full local mailbox; nothing dropped on the way.
    assert_eq!(count, TELLS);
    assert!(refused > 0, "the sender outran a slow process and was never refused");
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeouts_limits_and_later_replies_work_as_they_do_locally() {
    let Some(server) = server() else { return };
    let (a, b) = (node(&server, "a").await, node(&server, "b").await);
    let spawned = a.spawn(Log::default);
    a.register("log", &spawned).await.unwrap();
    let log: LogRef = b.lookup("log").await.unwrap();

    // The timeout runs on the caller's clock.
    let timeout = std::time::Duration::from_millis(50);
    match log.hold(10_000).timeout(timeout).await {
        Err(CallError::Timeout { after, .. }) => assert_eq!(after, timeout),
        other => panic!("expected Timeout, got {other:?}"),
    }
    assert_eq!(log.later().await.unwrap(), "replied later");
    // The rate limit is the caller's: the third call in a burst of two is
    // refused here, without crossing.
    assert_eq!(log.limited().await.unwrap(), 7);
    assert_eq!(log.limited().await.unwrap(), 7);
    assert!(matches!(log.limited().await, Err(CallError::RateLimited { .. })));
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_remote_mailbox_refuses_an_ask_when_its_policy_is_reject() {
    let Some(server) = server() else { return };
    let (a, b) = (node(&server, "a").await, node(&server, "b").await);
    let spawned = a.spawn(Log::default);
    a.register("log", &spawned).await.unwrap();
    let log: LogRef = b.lookup("log").await.unwrap();
    // One message in the handler, two in the mailbox: full.
    let holding = tokio::spawn({
        let log = log.clone();
        async move { log.hold(500).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    log.push(1).send_wait().await.unwrap();
    log.push(2).send_wait().await.unwrap();
    assert!(matches!(log.push(3).await, Err(CallError::MailboxFull { .. })));
    holding.await.unwrap().unwrap();
    assert_eq!(log.entries().await.unwrap(), [1, 2]);
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_a_remote_handle_stops_the_process_on_its_node() {
    let Some(server) = server() else { return };
    let (a, b) = (node(&server, "a").await, node(&server, "b").await);
    let counter = a.spawn(Counter::default);
    a.register("counter", &counter).await.unwrap();
    let remote: CounterRef = b.lookup("counter").await.unwrap();
    Handle::stop(&remote).await;
    assert_eq!(counter.status(), phyx::Status::Stopped);
    assert_eq!(remote.status(), phyx::Status::Stopped);
    assert!(matches!(remote.get().await, Err(CallError::Stopped { .. })));
    assert!(matches!(
        b.lookup::<CounterRef>("counter").await,
        Err(phyx::LookupError::NotFound { .. })
    ));
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lookup_of_the_wrong_type_names_both() {
    let Some(server) = server() else { return };
    let (a, b) = (node(&server, "a").await, node(&server, "b").await);
    let counter = a.spawn(Counter::default);
    a.register("counter", &counter).await.unwrap();
    match b.lookup::<LogRef>("counter").await {
        Err(error @ phyx::LookupError::WrongType { .. }) => assert_eq!(
            error.to_string(),
            "process `counter` is a `CounterRef`, not a `LogRef`; look it up as `lookup::<CounterRef>`"
        ),
        other => panic!("expected WrongType, got {:?}", other.map(|_| "a handle")),
    }
    // Taken cluster-wide.
    let other = b.spawn(Counter::default);
    assert!(matches!(
        b.register("counter", &other).await,
        Err(phyx::RegisterError::TakenElsewhere { .. })
    ));
    a.shutdown().await;
    b.shutdown().await;
}

/// Under backpressure, with room for one message; says when its hold
/// starts and ends.
struct Slow {
    started: Arc<AtomicBool>,
    ended: Arc<AtomicBool>,
}

#[process(remote, mailbox = 1, overflow = backpressure)]
impl Slow {
    #[public]
    async fn hold(&self, millis: u64) {
        self.started.store(true, Ordering::SeqCst);
        tokio::time::sleep(std::time::Duration::from_millis(millis)).await;
        self.ended.store(true, Ordering::SeqCst);
    }

    #[public]
    fn touch(&self) {}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_wait_waits_for_room_in_the_remote_mailbox() {
    let Some(server) = server() else { return };
    let (a, b) = (node(&server, "a").await, node(&server, "b").await);
    let (started, ended) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
    let spawned = a.spawn({
        let (started, ended) = (started.clone(), ended.clone());
        move || Slow {
            started: started.clone(),
            ended: ended.clone(),
        }
    });
    a.register("slow", &spawned).await.unwrap();
    let slow: SlowRef = b.lookup("slow").await.unwrap();
    let holding = tokio::spawn({
        let slow = slow.clone();
        async move { slow.hold(300).await }
    });
    while !started.load(Ordering::SeqCst) {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    // The hold is in the handler; one touch fills the mailbox.
    slow.touch().send_wait().await.unwrap();
    // Room for the next appears only once the hold has returned and the
    // first touch has left the mailbox.
    slow.touch().send_wait().await.unwrap();
    assert!(ended.load(Ordering::SeqCst), "send_wait returned before there was room");
    holding.await.unwrap().unwrap();
    a.shutdown().await;
    b.shutdown().await;
}
