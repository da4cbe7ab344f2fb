//! kameo's counter: `#[derive(Actor)]`, one `Message` impl per message,
//! spawned with a bounded mailbox of the same capacity as phyx's (kameo's
//! own default is 64). `tell(..).await` waits for room, as phyx's
//! `send_wait` does; in the ring, `try_send`.

use std::sync::Arc;
use std::time::Instant;

use kameo::actor::{ActorRef, Spawn};
use kameo::mailbox;
use kameo::message::{Context, Message};
use tokio::sync::Notify;

use crate::{
    Flavor, Latencies, MAILBOX, MailboxKind, Meter, Run, SpawnCost, Subject, bytes_each_since, live_bytes, run_on,
};

/// The counter actor.
#[derive(Debug, Default, kameo::Actor)]
pub struct Counter {
    count: u64,
}

/// Adds to the count.
#[derive(Debug)]
pub struct Increment(pub u64);

/// Replies with the count.
#[derive(Debug)]
pub struct Get;

impl Message<Increment> for Counter {
    type Reply = ();

    async fn handle(&mut self, Increment(by): Increment, _: &mut Context<Self, ()>) {
        self.count += by;
    }
}

impl Message<Get> for Counter {
    type Reply = u64;

    async fn handle(&mut self, _: Get, _: &mut Context<Self, u64>) -> u64 {
        self.count
    }
}

fn spawn_counter() -> ActorRef<Counter> {
    Counter::spawn_with_mailbox(Counter::default(), mailbox::bounded(MAILBOX))
}

async fn get(counter: &ActorRef<Counter>) -> u64 {
    counter.ask(Get).await.expect("the count")
}

async fn stop(counter: &ActorRef<Counter>) {
    counter.kill();
    counter.wait_for_shutdown().await;
}

/// A ring member.
#[derive(Debug, kameo::Actor)]
pub struct RingNode {
    hops: u64,
    next: Option<ActorRef<RingNode>>,
    done: Arc<Notify>,
}

/// Sets the node to pass messages on to.
#[derive(Debug)]
pub struct Link(pub ActorRef<RingNode>);

/// Passes the message on, `.0` more times.
#[derive(Debug)]
pub struct Hop(pub u64);

impl Message<Link> for RingNode {
    type Reply = ();

    async fn handle(&mut self, Link(next): Link, _: &mut Context<Self, ()>) {
        self.next = Some(next);
    }
}

impl Message<Hop> for RingNode {
    type Reply = ();

    async fn handle(&mut self, Hop(left): Hop, _: &mut Context<Self, ()>) {
        self.hops += 1;
        if left == 0 {
            self.done.notify_one();
        } else if let Some(next) = &self.next {
            next.tell(Hop(left - 1)).try_send().expect("the next node takes it");
        }
    }
}

/// kameo, with a bounded mailbox of [`MAILBOX`].
#[derive(Debug)]
pub struct Kameo;

impl Subject for Kameo {
    const NAME: &'static str = "kameo";
    const MAILBOX: MailboxKind = MailboxKind::Bounded;

    fn tell(flavor: Flavor, n: u64) -> Run {
        run_on(flavor, move || async move {
            let counter = spawn_counter();
            get(&counter).await;
            let meter = Meter::start();
            for _ in 0..n {
                counter.tell(Increment(1)).await.expect("queued");
            }
            assert_eq!(get(&counter).await, n);
            let run = meter.stop();
            stop(&counter).await;
            run
        })
    }

    fn ask(flavor: Flavor, n: u64) -> Latencies {
        run_on(flavor, move || async move {
            let counter = spawn_counter();
            counter.tell(Increment(7)).await.expect("queued");
            let mut samples = Vec::with_capacity(usize::try_from(n).unwrap_or(0));
            let meter = Meter::start();
            for _ in 0..n {
                let start = Instant::now();
                assert_eq!(get(&counter).await, 7);
                samples.push(start.elapsed());
            }
            let run = meter.stop();
            stop(&counter).await;
            Latencies::new(samples, run.allocations)
        })
    }

    fn spawn(flavor: Flavor, n: usize) -> SpawnCost {
        run_on(flavor, move || async move {
            let mut handles = Vec::with_capacity(n);
            let before = live_bytes();
            let meter = Meter::start();
            for _ in 0..n {
                handles.push(spawn_counter());
            }
            let spawn = meter.stop();
            for counter in &handles {
                get(counter).await;
            }
            let idle_bytes = bytes_each_since(before, n);
            for counter in &handles {
                stop(counter).await;
            }
            SpawnCost {
                spawn,
                count: n,
                idle_bytes,
            }
        })
    }

    fn fan_in(flavor: Flavor, senders: u64, n: u64) -> Run {
        run_on(flavor, move || async move {
            let counter = spawn_counter();
            get(&counter).await;
            let meter = Meter::start();
            let tasks: Vec<_> = (0..senders)
                .map(|_| {
                    let counter = counter.clone();
                    tokio::spawn(async move {
                        for _ in 0..n / senders {
                            counter.tell(Increment(1)).await.expect("queued");
                        }
                    })
                })
                .collect();
            for sender in tasks {
                sender.await.expect("a sender ends");
            }
            assert_eq!(get(&counter).await, n / senders * senders);
            let run = meter.stop();
            stop(&counter).await;
            run
        })
    }

    fn ring(flavor: Flavor, size: usize, hops: u64) -> Run {
        run_on(flavor, move || async move {
            let done = Arc::new(Notify::new());
            let nodes: Vec<ActorRef<RingNode>> = (0..size)
                .map(|_| {
                    let node = RingNode {
                        hops: 0,
                        next: None,
                        done: done.clone(),
                    };
                    RingNode::spawn_with_mailbox(node, mailbox::bounded(MAILBOX))
                })
                .collect();
            for (index, node) in nodes.iter().enumerate() {
                node.ask(Link(nodes[(index + 1) % size].clone())).await.expect("linked");
            }
            let meter = Meter::start();
            nodes[0].tell(Hop(hops - 1)).try_send().expect("queued");
            done.notified().await;
            let run = meter.stop();
            for node in &nodes {
                node.kill();
            }
            run
        })
    }
}
