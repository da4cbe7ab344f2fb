//! actix's counter: an `Actor` with one `Handler` per message. actix runs
//! actors on its own single-threaded arbiters, so the scenarios run inside
//! `actix_rt::System`: on the current-thread flavor everything shares one
//! thread; on the multi-thread flavor the system is built on the same
//! 2-worker tokio runtime, the actors live on the arbiter (the `block_on`
//! thread) and the senders run as tokio tasks on the workers.
//!
//! A tell is `do_send`, which ignores the mailbox's capacity (default 16;
//! `try_send` would fail when full and `send` is an ask), so actix is
//! compared with the unbounded baseline.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use actix::{Actor, Addr, Context, Handler, Message};
use tokio::sync::Notify;

use crate::{Flavor, Latencies, MailboxKind, Meter, Run, SpawnCost, Subject, bytes_each_since, live_bytes};

/// The counter actor.
#[derive(Debug, Default)]
pub struct Counter {
    count: u64,
}

impl Actor for Counter {
    type Context = Context<Self>;
}

/// Adds to the count.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct Increment(pub u64);

/// Replies with the count.
#[derive(Debug, Message)]
#[rtype(result = "u64")]
pub struct Get;

impl Handler<Increment> for Counter {
    type Result = ();

    fn handle(&mut self, Increment(by): Increment, _: &mut Context<Self>) {
        self.count += by;
    }
}

impl Handler<Get> for Counter {
    type Result = u64;

    fn handle(&mut self, _: Get, _: &mut Context<Self>) -> u64 {
        self.count
    }
}

async fn get(counter: &Addr<Counter>) -> u64 {
    counter.send(Get).await.expect("the count")
}

/// A ring member.
#[derive(Debug)]
pub struct RingNode {
    hops: u64,
    next: Option<Addr<RingNode>>,
    done: Arc<Notify>,
}

impl Actor for RingNode {
    type Context = Context<Self>;
}

/// Sets the node to pass messages on to.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct Link(pub Addr<RingNode>);

/// Passes the message on, `.0` more times.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct Hop(pub u64);

impl Handler<Link> for RingNode {
    type Result = ();

    fn handle(&mut self, Link(next): Link, _: &mut Context<Self>) {
        self.next = Some(next);
    }
}

impl Handler<Hop> for RingNode {
    type Result = ();

    fn handle(&mut self, Hop(left): Hop, _: &mut Context<Self>) {
        self.hops += 1;
        if left == 0 {
            self.done.notify_one();
        } else if let Some(next) = &self.next {
            next.do_send(Hop(left - 1));
        }
    }
}

/// Runs `scenario` inside an actix system on a runtime of `flavor`.
fn run_actix<F: Future>(flavor: Flavor, scenario: impl FnOnce() -> F) -> F::Output {
    let runner = match flavor {
        Flavor::CurrentThread => actix_rt::System::new(),
        Flavor::MultiThread => actix_rt::System::with_tokio_rt(|| flavor.runtime()),
    };
    runner.block_on(scenario())
}

/// Runs `measure` as a tokio task: on the multi-thread flavor, on a worker.
async fn on_sender<T: Send + 'static>(measure: impl Future<Output = T> + Send + 'static) -> T {
    tokio::spawn(measure).await.expect("the measurement panicked")
}

/// actix, telling with `do_send`.
#[derive(Debug)]
pub struct Actix;

impl Subject for Actix {
    const NAME: &'static str = "actix";
    const MAILBOX: MailboxKind = MailboxKind::Unbounded;

    fn tell(flavor: Flavor, n: u64) -> Run {
        run_actix(flavor, || async move {
            let counter = Counter::default().start();
            get(&counter).await;
            on_sender(async move {
                let meter = Meter::start();
                for _ in 0..n {
                    counter.do_send(Increment(1));
                }
                assert_eq!(get(&counter).await, n);
                meter.stop()
            })
            .await
        })
    }

    fn ask(flavor: Flavor, n: u64) -> Latencies {
        run_actix(flavor, || async move {
            let counter = Counter::default().start();
            counter.do_send(Increment(7));
            on_sender(async move {
                let mut samples = Vec::with_capacity(usize::try_from(n).unwrap_or(0));
                let meter = Meter::start();
                for _ in 0..n {
                    let start = Instant::now();
                    assert_eq!(get(&counter).await, 7);
                    samples.push(start.elapsed());
                }
                let run = meter.stop();
                Latencies::new(samples, run.allocations)
            })
            .await
        })
    }

    fn spawn(flavor: Flavor, n: usize) -> SpawnCost {
        run_actix(flavor, || async move {
            // Actors start on the arbiter, so spawning runs there.
            let mut handles = Vec::with_capacity(n);
            let before = live_bytes();
            let meter = Meter::start();
            for _ in 0..n {
                handles.push(Counter::default().start());
            }
            let spawn = meter.stop();
            for counter in &handles {
                get(counter).await;
            }
            let idle_bytes = bytes_each_since(before, n);
            // An actor stops once its last address is gone.
            drop(handles);
            SpawnCost {
                spawn,
                count: n,
                idle_bytes,
            }
        })
    }

    fn fan_in(flavor: Flavor, senders: u64, n: u64) -> Run {
        run_actix(flavor, || async move {
            let counter = Counter::default().start();
            get(&counter).await;
            on_sender(async move {
                let meter = Meter::start();
                let tasks: Vec<_> = (0..senders)
                    .map(|_| {
                        let counter = counter.clone();
                        tokio::spawn(async move {
                            for _ in 0..n / senders {
                                counter.do_send(Increment(1));
                            }
                        })
                    })
                    .collect();
                for sender in tasks {
                    sender.await.expect("a sender ends");
                }
                assert_eq!(get(&counter).await, n / senders * senders);
                meter.stop()
            })
            .await
        })
    }

    fn ring(flavor: Flavor, size: usize, hops: u64) -> Run {
        run_actix(flavor, || async move {
            let done = Arc::new(Notify::new());
            let nodes: Vec<Addr<RingNode>> = (0..size)
                .map(|_| {
                    RingNode {
                        hops: 0,
                        next: None,
                        done: done.clone(),
                    }
                    .start()
                })
                .collect();
            for (index, node) in nodes.iter().enumerate() {
                node.send(Link(nodes[(index + 1) % size].clone()))
                    .await
                    .expect("linked");
            }
            let meter = Meter::start();
            nodes[0].do_send(Hop(hops - 1));
            done.notified().await;
            meter.stop()
        })
    }
}
