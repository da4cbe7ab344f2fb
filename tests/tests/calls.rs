//! Asks, tells and their errors, as a user writes them.

use phyx::prelude::*;
use phyx::{CallError, SendError};
use phyx_tests::{Counter, CounterRef, Gate};

#[tokio::test]
async fn ask_returns_the_handlers_value() {
    let system = System::new();
    let counter: CounterRef = system.spawn(Counter::default);
    assert_eq!(counter.increment(2).await, Ok(2));
    assert_eq!(counter.increment(3).await, Ok(5));
    assert_eq!(counter.get().await, Ok(5));
    system.shutdown().await;
}

#[tokio::test]
async fn tells_from_one_sender_are_handled_in_order() {
    let system = System::new();
    let counter = system.spawn(Counter::default);
    for n in 0..500 {
        counter.increment(n).send().unwrap();
    }
    assert_eq!(counter.history().await.unwrap(), (0..500).collect::<Vec<_>>());
    system.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_callers_lose_no_update() {
    let system = System::new();
    let counter = system.spawn(Counter::default);
    let callers: Vec<_> = (0..8)
        .map(|_| {
            let counter = counter.clone();
            tokio::spawn(async move {
                for _ in 0..250 {
                    counter.increment(1).await.unwrap();
                }
            })
        })
        .collect();
    for caller in callers {
        caller.await.unwrap();
    }
    assert_eq!(counter.get().await, Ok(2000));
    system.shutdown().await;
}

#[tokio::test]
async fn an_err_from_the_handler_is_a_reply_not_a_crash() {
    let system = System::new();
    let counter = system.spawn(Counter::default);
    counter.increment(10).await.unwrap();
    assert_eq!(counter.checked_divide(0).await, Ok(Err("division by zero".to_owned())));
    assert_eq!(counter.checked_divide(5).await, Ok(Ok(2)));
    assert_eq!(counter.get().await, Ok(10), "state survives an error reply");
    system.shutdown().await;
}

#[tokio::test]
async fn a_call_does_nothing_until_awaited_or_sent() {
    let system = System::new();
    let counter = system.spawn(Counter::default);
    let call = counter.increment(1);
    assert_eq!(counter.get().await, Ok(0));
    drop(call);
    assert_eq!(counter.get().await, Ok(0));
    system.shutdown().await;
}

#[tokio::test]
async fn calls_to_a_stopped_process_fail_at_once() {
    let system = System::new();
    let counter = system.spawn(Counter::default);
    Handle::stop(&counter).await;
    assert_eq!(counter.status(), phyx::Status::Stopped);

    let error = counter.get().await.unwrap_err();
    assert!(matches!(&error, CallError::Stopped { method: "get", .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        "call to `get` on process `Counter` failed: process stopped"
    );

    let error = counter.increment(1).send().unwrap_err();
    assert!(
        matches!(
            error,
            SendError::Stopped {
                method: "increment",
                ..
            }
        ),
        "{error:?}"
    );
    assert!(matches!(
        counter.increment(1).send_wait().await,
        Err(SendError::Stopped { .. })
    ));
    assert!(matches!(
        counter.increment(1).send_after(std::time::Duration::from_secs(1)),
        Err(SendError::Stopped { .. })
    ));
    system.shutdown().await;
}

#[tokio::test]
async fn handles_are_cheap_clones_of_one_address() {
    let system = System::new();
    let counter = system.spawn(Counter::default);
    let other = system.spawn(Counter::default);
    let clone = counter.clone();
    clone.increment(4).await.unwrap();
    assert_eq!(counter.get().await, Ok(4));
    assert_eq!(clone, counter);
    assert_ne!(other, counter);
    assert_eq!(clone.id(), counter.id());
    assert_eq!(counter.name(), "Counter");
    system.shutdown().await;
}

#[tokio::test]
async fn a_named_process_reports_its_name_in_errors() {
    let system = System::new();
    let counter: CounterRef = system.spawn_with(Counter::default, phyx::SpawnOptions::new().name("tally"));
    assert_eq!(counter.name(), "tally");
    let error = counter.fail("boom".into()).await.unwrap_err();
    assert_eq!(error.process(), "tally");
    assert_eq!(error.to_string(), "call to `fail` on process `tally` panicked: boom");
    system.shutdown().await;
}

#[tokio::test]
async fn queued_reports_messages_waiting() {
    let system = System::new();
    let counter = system.spawn(Counter::default);
    let gate = Gate::new();
    counter.wait(gate.clone()).send().unwrap();
    gate.entered().await;
    counter.increment(1).send().unwrap();
    counter.increment(2).send().unwrap();
    assert_eq!(counter.queued(), 2);
    gate.open();
    assert_eq!(counter.get().await, Ok(3));
    assert_eq!(counter.queued(), 0);
    system.shutdown().await;
}

struct Payments {
    charged: u64,
}

#[process]
impl Payments {
    #[public]
    fn charge(&mut self, cents: u64) -> Result<u64, String> {
        if cents == 0 {
            return Err("nothing to charge".into());
        }
        self.charged += cents;
        Ok(self.charged)
    }

    #[public]
    fn crash(&mut self) -> Result<u64, String> {
        panic!("card reader on fire")
    }
}

/// Two charges with one `?` each, whatever went wrong.
async fn charge_both(payments: &PaymentsRef, first: u64, second: u64) -> Result<u64, phyx::Failed<String>> {
    payments.charge(first).flatten().await?;
    payments.charge(second).flatten().await
}

#[tokio::test]
async fn flatten_folds_the_handlers_err_and_the_call_error_into_one() {
    use phyx::Failed;
    let system = System::new();
    let payments = system.spawn(|| Payments { charged: 0 });

    assert_eq!(charge_both(&payments, 5, 7).await, Ok(12));
    assert_eq!(
        charge_both(&payments, 0, 7).await,
        Err(Failed::Handler("nothing to charge".to_string())),
        "the first `?` returned the handler's `Err`"
    );
    match payments.crash().flatten().await {
        Err(Failed::Call(CallError::Panicked { message, .. })) => assert_eq!(&*message, "card reader on fire"),
        other => panic!("expected the call's panic, got {other:?}"),
    }
    let failed = payments.charge(0).flatten().await.unwrap_err();
    assert_eq!(failed.to_string(), "nothing to charge");
    assert_eq!(
        payments.charge(1).flatten().await,
        Ok(1),
        "the crash restarted it with fresh state"
    );
    system.shutdown().await;
    let stopped = payments.charge(1).flatten().await.unwrap_err();
    assert!(
        matches!(stopped, Failed::Call(CallError::Stopped { .. })),
        "{stopped:?}"
    );
    assert_eq!(
        stopped.to_string(),
        "call to `charge` on process `Payments` failed: process stopped"
    );
}
