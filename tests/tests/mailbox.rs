//! Bounded mailboxes and their three overflow policies. A handler blocked
//! on a gate keeps the mailbox from draining while the test fills it.

use phyx::prelude::*;
use phyx::{CallError, Overflow, SendError, SpawnOptions, event::EventKind};
use phyx_tests::{Counter, CounterRef, EventLog, Gate};

/// A counter with a mailbox of `capacity` under `overflow`, blocked at the
/// returned gate.
async fn blocked(system: &System, capacity: usize, overflow: Overflow) -> (CounterRef, Gate) {
    let options = SpawnOptions::new().mailbox(capacity).overflow(overflow);
    let counter = system.spawn_with(Counter::default, options);
    let gate = Gate::new();
    counter.wait(gate.clone()).send().unwrap();
    gate.entered().await;
    (counter, gate)
}

/// Yields until the process has taken every queued message, so that the
/// next call finds room.
async fn drained(counter: &CounterRef) {
    while counter.queued() > 0 {
        tokio::task::yield_now().await;
    }
}

#[tokio::test]
async fn reject_refuses_tells_and_asks_when_full() {
    let (system, log) = EventLog::system();
    let (counter, gate) = blocked(&system, 2, Overflow::Reject).await;
    counter.increment(1).send().unwrap();
    counter.increment(2).send().unwrap();

    let error = counter.increment(3).send().unwrap_err();
    assert!(
        matches!(
            error,
            SendError::MailboxFull {
                method: "increment",
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "tell `increment` to process `Counter` was rejected: mailbox full"
    );
    assert!(matches!(
        counter.get().await,
        Err(CallError::MailboxFull { method: "get", .. })
    ));
    assert!(matches!(
        counter.increment(3).send_wait().await,
        Err(SendError::MailboxFull { .. })
    ));

    gate.open();
    drained(&counter).await;
    assert_eq!(counter.history().await.unwrap(), [1, 2]);
    let rejected = log
        .kinds_of("Counter")
        .into_iter()
        .filter(|kind| matches!(kind, EventKind::MessageRejected { .. }))
        .count();
    assert_eq!(rejected, 3);
    system.shutdown().await;
}

#[tokio::test]
async fn drop_oldest_makes_room_and_tells_the_dropped_caller_at_once() {
    let (system, log) = EventLog::system();
    let (counter, gate) = blocked(&system, 2, Overflow::DropOldest).await;
    let oldest = tokio::spawn(counter.increment(1).into_future());
    while counter.queued() < 1 {
        tokio::task::yield_now().await;
    }
    counter.increment(2).send().unwrap();
    counter.increment(3).send().unwrap();

    // The gate is still closed: the dropped caller hears before any handling.
    let error = oldest.await.unwrap().unwrap_err();
    assert!(
        matches!(
            error,
            CallError::Dropped {
                method: "increment",
                ..
            }
        ),
        "{error:?}"
    );
    gate.open();
    drained(&counter).await;
    assert_eq!(counter.history().await.unwrap(), [2, 3]);
    assert!(
        log.kinds_of("Counter")
            .iter()
            .any(|kind| matches!(kind, EventKind::MessageDropped { method: "increment" }))
    );
    system.shutdown().await;
}

#[tokio::test]
async fn backpressure_makes_asks_wait_and_sends_fail() {
    let system = System::new();
    let (counter, gate) = blocked(&system, 1, Overflow::Backpressure).await;
    counter.increment(1).send().unwrap();

    assert!(matches!(
        counter.increment(2).send(),
        Err(SendError::MailboxFull { .. })
    ));
    let ask = tokio::spawn(counter.increment(10).into_future());
    let tell = tokio::spawn({
        let counter = counter.clone();
        async move { counter.increment(100).send_wait().await }
    });
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    assert!(!ask.is_finished() && !tell.is_finished(), "both wait for room");

    gate.open();
    assert_eq!(tell.await.unwrap(), Ok(()));
    assert!(ask.await.unwrap().is_ok());
    assert_eq!(counter.get().await, Ok(111));
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn an_ask_waiting_for_room_times_out() {
    let system = System::new();
    let (counter, gate) = blocked(&system, 1, Overflow::Backpressure).await;
    counter.increment(1).send().unwrap();
    let error = counter
        .increment(2)
        .timeout(std::time::Duration::from_secs(1))
        .await
        .unwrap_err();
    assert!(matches!(error, CallError::Timeout { .. }), "{error:?}");
    gate.open();
    assert_eq!(
        counter.history().await.unwrap(),
        [1],
        "the timed-out message never entered"
    );
    system.shutdown().await;
}

#[tokio::test]
async fn process_options_set_the_mailbox() {
    #[derive(Default)]
    struct Small;
    #[process(mailbox = 1, overflow = reject)]
    impl Small {
        #[public]
        async fn wait(&self, gate: Gate) {
            gate.pass().await;
        }
        #[public]
        fn ping(&self) {}
    }

    let system = System::new();
    let small = system.spawn(|| Small);
    let gate = Gate::new();
    small.wait(gate.clone()).send().unwrap();
    gate.entered().await;
    small.ping().send().unwrap();
    assert!(matches!(small.ping().send(), Err(SendError::MailboxFull { .. })));

    // Spawn options override the process's own.
    let roomy = system.spawn_with(|| Small, SpawnOptions::new().mailbox(2));
    let gate2 = Gate::new();
    roomy.wait(gate2.clone()).send().unwrap();
    gate2.entered().await;
    roomy.ping().send().unwrap();
    roomy.ping().send().unwrap();
    assert!(roomy.ping().send().is_err());
    gate.open();
    gate2.open();
    system.shutdown().await;
}
