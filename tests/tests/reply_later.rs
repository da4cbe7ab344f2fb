//! Replying later: a handler that takes a `Reply<R>` hands it off and
//! returns; its caller awaits an ordinary `Call<R, _>`.

use std::time::Duration;

use phyx::prelude::*;
use phyx::{CallError, Reply};
use phyx_testkit::TestSystem;

/// Keeps the replies it is given until told to answer them.
#[derive(Default)]
struct Desk {
    pending: Vec<(u64, Reply<u64>)>,
    handled: Vec<&'static str>,
}

#[process]
impl Desk {
    /// Parks the reply; `answer` sends it.
    #[public]
    fn ask(&mut self, n: u64, reply: Reply<u64>) {
        self.handled.push("ask");
        self.pending.push((n, reply));
    }

    /// Answers every parked ask with twice its number.
    #[public]
    fn answer(&mut self) -> usize {
        self.handled.push("answer");
        let count = self.pending.len();
        for (n, reply) in self.pending.drain(..) {
            reply.send(2 * n);
        }
        count
    }

    /// Drops every parked reply unsent.
    #[public]
    fn forget(&mut self) {
        self.pending.clear();
    }

    #[public]
    fn drop_at_once(&mut self, reply: Reply<u64>) {
        drop(reply);
    }

    #[public]
    fn panic_before_handing_off(&mut self, _reply: Reply<u64>) {
        panic!("boom before the hand-off");
    }

    #[public]
    fn handled(&self) -> Vec<&'static str> {
        self.handled.clone()
    }
}

#[tokio::test]
async fn the_mailbox_keeps_flowing_while_a_reply_is_pending() {
    let t = TestSystem::new();
    let desk = t.system().spawn(Desk::default);
    let asked = tokio::spawn(desk.ask(21).into_future());
    t.settle().await;
    assert!(!asked.is_finished(), "the reply is pending");
    // The ask's handler has returned: the next message is handled while
    // its reply is still pending.
    assert_eq!(desk.answer().timeout(Duration::from_secs(1)).await, Ok(1));
    assert_eq!(asked.await.unwrap(), Ok(42));
    assert_eq!(desk.handled().await.unwrap(), ["ask", "answer"]);
}

#[tokio::test]
async fn a_reply_dropped_unsent_fails_its_caller_at_once() {
    let t = TestSystem::new();
    let desk = t.system().spawn(Desk::default);
    let error = desk.drop_at_once().timeout(Duration::from_secs(1)).await.unwrap_err();
    assert!(
        matches!(
            error,
            CallError::ReplyDropped {
                method: "drop_at_once",
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "call to `drop_at_once` on process `Desk` got no reply: its `Reply` was dropped without being sent"
    );
    assert_eq!(t.elapsed(), Duration::ZERO);

    // Parked, then dropped by a later message.
    let asked = tokio::spawn(desk.ask(1).into_future());
    t.settle().await;
    desk.forget().await.unwrap();
    t.settle().await;
    assert!(asked.is_finished(), "the caller heard at once");
    let error = asked.await.unwrap().unwrap_err();
    assert!(
        matches!(error, CallError::ReplyDropped { method: "ask", .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_panic_before_the_hand_off_is_a_panic_for_the_caller() {
    phyx::hide_caught_panics();
    let t = TestSystem::new();
    let desk = t.system().spawn(Desk::default);
    let error = desk.panic_before_handing_off().await.unwrap_err();
    let CallError::Panicked { message, .. } = &error else {
        panic!("expected a panic, got {error:?}");
    };
    assert_eq!(&**message, "boom before the hand-off");
    // The process restarted and serves again.
    assert_eq!(desk.handled().await.unwrap(), Vec::<&str>::new());
}

/// A job handed to the `Worker` process: the reply travels inside it.
struct Job {
    n: u64,
    reply: Reply<u64>,
}

#[derive(Default)]
struct Worker {
    jobs: Vec<Job>,
}

#[process]
impl Worker {
    #[public]
    fn take(&mut self, job: Job) {
        self.jobs.push(job);
    }

    /// Answers every job taken, with its square.
    #[public]
    fn finish(&mut self) {
        for Job { n, reply } in self.jobs.drain(..) {
            reply.send(n * n);
        }
    }
}

/// Hands every ask to its worker.
struct Front {
    worker: WorkerRef,
}

#[process]
impl Front {
    #[public]
    fn square(&mut self, n: u64, reply: Reply<u64>) {
        // Refused, the job and its reply are dropped: the caller hears
        // `ReplyDropped`.
        let _ = self.worker.take(Job { n, reply }).send();
    }
}

#[tokio::test]
async fn another_process_sends_the_reply() {
    let t = TestSystem::new();
    let worker = t.system().spawn(Worker::default);
    let front = t.system().spawn({
        let worker = worker.clone();
        move || Front { worker: worker.clone() }
    });
    let asked = tokio::spawn(front.square(7).into_future());
    t.settle().await;
    assert!(!asked.is_finished(), "the worker has not answered yet");
    worker.finish().await.unwrap();
    assert_eq!(asked.await.unwrap(), Ok(49));
}

/// Replies from a task after `delay` of virtual time; counts the tells
/// whose reply found nobody waiting.
#[derive(Default)]
struct Slow {
    unwaited: std::sync::Arc<std::sync::atomic::AtomicU32>,
}

#[process]
impl Slow {
    #[public]
    fn work(&mut self, ctx: &mut Ctx<Self>, delay: Duration, n: u64, reply: Reply<u64>) {
        let sleep = ctx.sleep(delay);
        let unwaited = self.unwaited.clone();
        tokio::spawn(async move {
            sleep.await;
            if !reply.is_waiting() {
                unwaited.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            reply.send(n);
        });
    }

    /// Replies from a task, then panics: the reply is handed off already.
    #[public]
    fn hand_off_then_panic(&mut self, ctx: &mut Ctx<Self>, reply: Reply<u64>) {
        let sleep = ctx.sleep(Duration::from_secs(1));
        tokio::spawn(async move {
            sleep.await;
            reply.send(7);
        });
        panic!("after the hand-off");
    }

    #[public]
    #[circuit_breaker(failures = 1, cooldown = "10s")]
    fn judged(&mut self, ctx: &mut Ctx<Self>, ok: bool, reply: Reply<Result<u64, String>>) {
        let sleep = ctx.sleep(Duration::from_secs(1));
        tokio::spawn(async move {
            sleep.await;
            reply.send(if ok { Ok(1) } else { Err("later failure".into()) });
        });
    }

    #[public]
    fn unwaited(&self) -> u32 {
        self.unwaited.load(std::sync::atomic::Ordering::Relaxed)
    }
}

#[tokio::test]
async fn a_reply_outlives_a_restart_of_its_process() {
    phyx::hide_caught_panics();
    let t = TestSystem::new();
    let slow = t.system().spawn(Slow::default);
    let asked = tokio::spawn(slow.work(Duration::from_secs(5), 3).into_future());
    t.settle().await;
    t.crash(&slow, "restart while the reply is pending");
    t.advance(Duration::from_secs(1)).await;
    assert_eq!(t.events().restarts_of("Slow").len(), 1, "it restarted");
    t.advance(Duration::from_secs(4)).await;
    assert_eq!(asked.await.unwrap(), Ok(3));
}

#[tokio::test]
async fn a_panic_after_the_hand_off_leaves_the_reply_deliverable() {
    phyx::hide_caught_panics();
    let t = TestSystem::new();
    let slow = t.system().spawn(Slow::default);
    let asked = tokio::spawn(slow.hand_off_then_panic().into_future());
    t.advance(Duration::from_secs(1)).await;
    assert_eq!(asked.await.unwrap(), Ok(7));
    t.events().assert_panicked("Slow", "after the hand-off", Duration::ZERO);
}

#[tokio::test]
async fn a_tell_of_a_reply_later_method_discards_the_reply() {
    let t = TestSystem::new();
    let slow = t.system().spawn(Slow::default);
    slow.work(Duration::from_secs(1), 1).send().unwrap();
    t.advance(Duration::from_secs(1)).await;
    assert_eq!(slow.unwaited().await, Ok(1), "nobody waited for the tell's reply");
}

#[tokio::test]
async fn an_ask_times_out_while_its_reply_is_pending() {
    let t = TestSystem::new();
    let slow = t.system().spawn(Slow::default);
    let error = slow
        .work(Duration::from_secs(10), 1)
        .timeout(Duration::from_secs(2))
        .await
        .unwrap_err();
    assert!(matches!(error, CallError::Timeout { .. }), "{error:?}");
    assert_eq!(t.elapsed(), Duration::from_secs(2));
    t.advance(Duration::from_secs(8)).await;
    assert_eq!(slow.unwaited().await, Ok(1), "the late reply found nobody waiting");
}

#[tokio::test]
async fn the_circuit_breaker_judges_a_later_reply() {
    let t = TestSystem::new();
    let slow = t.system().spawn(Slow::default);
    let failing = tokio::spawn(slow.judged(false).into_future());
    t.advance(Duration::from_secs(1)).await;
    assert_eq!(failing.await.unwrap(), Ok(Err("later failure".into())));
    let error = slow.judged(true).await.unwrap_err();
    assert!(
        matches!(error, CallError::CircuitOpen { method: "judged", .. }),
        "one later `Err` opened the breaker: {error:?}"
    );
}

#[derive(Default)]
struct Ledger {
    entries: Vec<(StepKey, u64)>,
}

#[process]
impl Ledger {
    /// Books `amount` later, from a task.
    #[public]
    #[compensate(unbook)]
    fn book(&mut self, ctx: &mut Ctx<Self>, key: StepKey, amount: u64, reply: Reply<Result<u64, String>>) {
        if amount <= 100 {
            self.entries.push((key, amount));
        }
        let sleep = ctx.sleep(Duration::from_secs(1));
        tokio::spawn(async move {
            sleep.await;
            reply.send(if amount > 100 {
                Err("too much".into())
            } else {
                Ok(amount)
            });
        });
    }

    #[public]
    fn unbook(&mut self, key: StepKey) {
        self.entries.retain(|(booked, _)| *booked != key);
    }

    #[public]
    fn entries(&self) -> Vec<u64> {
        self.entries.iter().map(|(_, amount)| *amount).collect()
    }
}

#[tokio::test]
async fn a_saga_step_gets_the_later_reply_and_compensates_it() {
    let t = TestSystem::new();
    let ledger = t.system().spawn(Ledger::default);
    let saga_ledger = ledger.clone();
    let mut saga = t.system().saga("booking");
    let run = tokio::spawn(async move {
        let first = saga.step(|key| saga_ledger.book(key, 40)).await;
        let second = saga.step(|key| saga_ledger.book(key, 500)).await;
        (
            first.map_err(|error| error.to_string()),
            second.map_err(|error| error.to_string()),
        )
    });
    t.advance(Duration::from_secs(2)).await;
    t.settle().await;
    let (first, second) = run.await.unwrap();
    assert_eq!(first, Ok(40), "the first step's later reply");
    let second = second.unwrap_err();
    assert!(second.contains("too much"), "{second}");
    assert_eq!(
        ledger.entries().await,
        Ok(vec![]),
        "the first booking was undone, the second never kept"
    );
}
