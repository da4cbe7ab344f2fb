//! phyx's counter: a plain struct and `#[process]`, with the defaults (a
//! mailbox of 1024 under backpressure). Tells use `send_wait`, the tell
//! that waits for room as the baseline's `Sender::send` does; in the ring,
//! where no mailbox fills, `send`.

use std::sync::Arc;
use std::time::Instant;

use phyx::prelude::*;
use tokio::sync::Notify;

use crate::{Flavor, Latencies, MailboxKind, Meter, Run, SpawnCost, Subject, bytes_each_since, live_bytes, run_on};

/// The counter process.
#[derive(Debug, Default)]
pub struct Counter {
    count: u64,
}

#[process]
impl Counter {
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

/// A ring member: passes the message on until it has gone round enough.
#[derive(Debug)]
pub struct RingNode {
    hops: u64,
    next: Option<RingNodeRef>,
    done: Arc<Notify>,
}

#[process]
impl RingNode {
    /// Sets the node to pass messages on to.
    #[public]
    pub fn link(&mut self, next: RingNodeRef) {
        self.next = Some(next);
    }

    /// Passes the message on, `left` more times.
    #[public]
    pub fn hop(&mut self, left: u64) {
        self.hops += 1;
        if left == 0 {
            self.done.notify_one();
        } else if let Some(next) = &self.next {
            next.hop(left - 1).send().expect("the next node takes it");
        }
    }
}

/// phyx, with its default mailbox.
#[derive(Debug)]
pub struct Phyx;

impl Subject for Phyx {
    const NAME: &'static str = "phyx";
    const MAILBOX: MailboxKind = MailboxKind::Bounded;

    fn tell(flavor: Flavor, n: u64) -> Run {
        run_on(flavor, move || async move {
            let system = System::new();
            let counter = system.spawn(Counter::default);
            counter.get().await.expect("started");
            let meter = Meter::start();
            for _ in 0..n {
                counter.increment(1).send_wait().await.expect("queued");
            }
            assert_eq!(counter.get().await.expect("the count"), n);
            let run = meter.stop();
            system.shutdown().await;
            run
        })
    }

    fn ask(flavor: Flavor, n: u64) -> Latencies {
        run_on(flavor, move || async move {
            let system = System::new();
            let counter = system.spawn(Counter::default);
            counter.increment(7).await.expect("started");
            let mut samples = Vec::with_capacity(usize::try_from(n).unwrap_or(0));
            let meter = Meter::start();
            for _ in 0..n {
                let start = Instant::now();
                assert_eq!(counter.get().await.expect("the count"), 7);
                samples.push(start.elapsed());
            }
            let run = meter.stop();
            system.shutdown().await;
            Latencies::new(samples, run.allocations)
        })
    }

    fn spawn(flavor: Flavor, n: usize) -> SpawnCost {
        run_on(flavor, move || async move {
            let system = System::new();
            let mut handles = Vec::with_capacity(n);
            let before = live_bytes();
            let meter = Meter::start();
            for _ in 0..n {
                handles.push(system.spawn(Counter::default));
            }
            let spawn = meter.stop();
            for counter in &handles {
                counter.get().await.expect("started");
            }
            let idle_bytes = bytes_each_since(before, n);
            system.shutdown().await;
            SpawnCost {
                spawn,
                count: n,
                idle_bytes,
            }
        })
    }

    fn fan_in(flavor: Flavor, senders: u64, n: u64) -> Run {
        run_on(flavor, move || async move {
            let system = System::new();
            let counter = system.spawn(Counter::default);
            counter.get().await.expect("started");
            let meter = Meter::start();
            let tasks: Vec<_> = (0..senders)
                .map(|_| {
                    let counter = counter.clone();
                    tokio::spawn(async move {
                        for _ in 0..n / senders {
                            counter.increment(1).send_wait().await.expect("queued");
                        }
                    })
                })
                .collect();
            for sender in tasks {
                sender.await.expect("a sender ends");
            }
            assert_eq!(counter.get().await.expect("the count"), n / senders * senders);
            let run = meter.stop();
            system.shutdown().await;
            run
        })
    }

    fn ring(flavor: Flavor, size: usize, hops: u64) -> Run {
        run_on(flavor, move || async move {
            let system = System::new();
            let done = Arc::new(Notify::new());
            let nodes: Vec<RingNodeRef> = (0..size)
                .map(|_| {
                    let done = done.clone();
                    system.spawn(move || RingNode {
                        hops: 0,
                        next: None,
                        done: done.clone(),
                    })
                })
                .collect();
            for (index, node) in nodes.iter().enumerate() {
                node.link(nodes[(index + 1) % size].clone()).await.expect("linked");
            }
            let meter = Meter::start();
            nodes[0].hop(hops - 1).send().expect("queued");
            done.notified().await;
            let run = meter.stop();
            drop(nodes);
            system.shutdown().await;
            run
        })
    }
}
