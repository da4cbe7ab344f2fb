//! ractor's counter: an `Actor` whose state is the `u64`, one message enum
//! with an `RpcReplyPort` for the ask. ractor's mailboxes are unbounded
//! (it has no bounded one), so it is compared with the unbounded baseline;
//! a tell is `cast`.

use std::sync::Arc;
use std::time::Instant;

use ractor::rpc::CallResult;
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use tokio::sync::Notify;

use crate::{Flavor, Latencies, MailboxKind, Meter, Run, SpawnCost, Subject, bytes_each_since, live_bytes, run_on};

/// The counter's messages.
#[derive(Debug)]
pub enum CounterMsg {
    /// Adds to the count.
    Increment(u64),
    /// Replies with the count.
    Get(RpcReplyPort<u64>),
}

/// The counter actor (its state is the `u64`).
#[derive(Debug)]
pub struct Counter;

impl Actor for Counter {
    type Msg = CounterMsg;
    type State = u64;
    type Arguments = ();

    async fn pre_start(&self, _: ActorRef<CounterMsg>, (): ()) -> Result<u64, ActorProcessingErr> {
        Ok(0)
    }

    async fn handle(
        &self,
        _: ActorRef<CounterMsg>,
        message: CounterMsg,
        count: &mut u64,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            CounterMsg::Increment(by) => *count += by,
            CounterMsg::Get(reply) => {
                let _ = reply.send(*count);
            }
        }
        Ok(())
    }
}

async fn spawn_counter() -> (ActorRef<CounterMsg>, tokio::task::JoinHandle<()>) {
    Actor::spawn(None, Counter, ()).await.expect("spawned")
}

async fn get(counter: &ActorRef<CounterMsg>) -> u64 {
    match counter.call(CounterMsg::Get, None).await.expect("sent") {
        CallResult::Success(count) => count,
        other => panic!("no count: {other:?}"),
    }
}

fn tell(counter: &ActorRef<CounterMsg>, by: u64) {
    counter.cast(CounterMsg::Increment(by)).expect("queued");
}

/// A ring member's messages.
#[derive(Debug)]
pub enum RingMsg {
    /// Sets the node to pass messages on to.
    Link(ActorRef<RingMsg>, RpcReplyPort<()>),
    /// Passes the message on, `.0` more times.
    Hop(u64),
}

/// A ring member.
#[derive(Debug)]
pub struct RingNode {
    done: Arc<Notify>,
}

impl Actor for RingNode {
    type Msg = RingMsg;
    type State = (u64, Option<ActorRef<RingMsg>>);
    type Arguments = ();

    async fn pre_start(&self, _: ActorRef<RingMsg>, (): ()) -> Result<Self::State, ActorProcessingErr> {
        Ok((0, None))
    }

    async fn handle(
        &self,
        _: ActorRef<RingMsg>,
        message: RingMsg,
        (hops, next): &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            RingMsg::Link(to, reply) => {
                *next = Some(to);
                let _ = reply.send(());
            }
            RingMsg::Hop(left) => {
                *hops += 1;
                if left == 0 {
                    self.done.notify_one();
                } else if let Some(next) = next {
                    next.cast(RingMsg::Hop(left - 1)).expect("the next node takes it");
                }
            }
        }
        Ok(())
    }
}

/// ractor, with its (unbounded) mailbox.
#[derive(Debug)]
pub struct Ractor;

impl Subject for Ractor {
    const NAME: &'static str = "ractor";
    const MAILBOX: MailboxKind = MailboxKind::Unbounded;

    fn tell(flavor: Flavor, n: u64) -> Run {
        run_on(flavor, move || async move {
            let (counter, task) = spawn_counter().await;
            let meter = Meter::start();
            for _ in 0..n {
                tell(&counter, 1);
            }
            assert_eq!(get(&counter).await, n);
            let run = meter.stop();
            counter.stop(None);
            task.await.expect("stopped");
            run
        })
    }

    fn ask(flavor: Flavor, n: u64) -> Latencies {
        run_on(flavor, move || async move {
            let (counter, task) = spawn_counter().await;
            tell(&counter, 7);
            let mut samples = Vec::with_capacity(usize::try_from(n).unwrap_or(0));
            let meter = Meter::start();
            for _ in 0..n {
                let start = Instant::now();
                assert_eq!(get(&counter).await, 7);
                samples.push(start.elapsed());
            }
            let run = meter.stop();
            counter.stop(None);
            task.await.expect("stopped");
            Latencies::new(samples, run.allocations)
        })
    }

    fn spawn(flavor: Flavor, n: usize) -> SpawnCost {
        run_on(flavor, move || async move {
            let mut handles = Vec::with_capacity(n);
            let before = live_bytes();
            let meter = Meter::start();
            for _ in 0..n {
                handles.push(spawn_counter().await);
            }
            let spawn = meter.stop();
            for (counter, _) in &handles {
                get(counter).await;
            }
            let idle_bytes = bytes_each_since(before, n);
            for (counter, task) in handles {
                counter.stop(None);
                task.await.expect("stopped");
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
            let (counter, task) = spawn_counter().await;
            let meter = Meter::start();
            let tasks: Vec<_> = (0..senders)
                .map(|_| {
                    let counter = counter.clone();
                    tokio::spawn(async move {
                        for _ in 0..n / senders {
                            tell(&counter, 1);
                        }
                    })
                })
                .collect();
            for sender in tasks {
                sender.await.expect("a sender ends");
            }
            assert_eq!(get(&counter).await, n / senders * senders);
            let run = meter.stop();
            counter.stop(None);
            task.await.expect("stopped");
            run
        })
    }

    fn ring(flavor: Flavor, size: usize, hops: u64) -> Run {
        run_on(flavor, move || async move {
            let done = Arc::new(Notify::new());
            let mut nodes = Vec::with_capacity(size);
            for _ in 0..size {
                let node = RingNode { done: done.clone() };
                nodes.push(Actor::spawn(None, node, ()).await.expect("spawned"));
            }
            for (index, (node, _)) in nodes.iter().enumerate() {
                let next = nodes[(index + 1) % size].0.clone();
                node.call(|reply| RingMsg::Link(next, reply), None)
                    .await
                    .expect("linked");
            }
            let meter = Meter::start();
            nodes[0].0.cast(RingMsg::Hop(hops - 1)).expect("queued");
            done.notified().await;
            let run = meter.stop();
            for (node, _) in &nodes {
                node.stop(None);
            }
            for (_, task) in nodes {
                task.await.expect("stopped");
            }
            run
        })
    }
}
