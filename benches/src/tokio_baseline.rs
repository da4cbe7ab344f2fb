//! The baseline: what an actor framework is a layer over. A task loops over
//! an mpsc receiver, holding the `u64`; an ask carries a oneshot sender.
//! No supervision, no names, no events: the cost every framework adds is
//! measured against this.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{Notify, mpsc, oneshot};

use crate::{
    Flavor, Latencies, MAILBOX, MailboxKind, Meter, Run, SpawnCost, Subject, bytes_each_since, live_bytes, run_on,
};

/// A counter's messages.
#[derive(Debug)]
pub enum Msg {
    /// Adds to the count.
    Increment(u64),
    /// Replies with the count.
    Get(oneshot::Sender<u64>),
}

/// Either kind of mpsc sender: the bounded one (capacity [`MAILBOX`]) for
/// comparing phyx and kameo, the unbounded one for ractor and actix. One
/// `match` per send is the whole cost of sharing the code.
#[derive(Debug)]
pub enum Tx<T> {
    /// `mpsc::channel(MAILBOX)`.
    Bounded(mpsc::Sender<T>),
    /// `mpsc::unbounded_channel()`.
    Unbounded(mpsc::UnboundedSender<T>),
}

/// The receiving end of a [`Tx`].
#[derive(Debug)]
pub enum Rx<T> {
    /// Of `mpsc::channel(MAILBOX)`.
    Bounded(mpsc::Receiver<T>),
    /// Of `mpsc::unbounded_channel()`.
    Unbounded(mpsc::UnboundedReceiver<T>),
}

impl<T> Clone for Tx<T> {
    fn clone(&self) -> Self {
        match self {
            Tx::Bounded(tx) => Tx::Bounded(tx.clone()),
            Tx::Unbounded(tx) => Tx::Unbounded(tx.clone()),
        }
    }
}

/// A channel of the given kind.
pub fn channel<T>(kind: MailboxKind) -> (Tx<T>, Rx<T>) {
    match kind {
        MailboxKind::Bounded => {
            let (tx, rx) = mpsc::channel(MAILBOX);
            (Tx::Bounded(tx), Rx::Bounded(rx))
        }
        MailboxKind::Unbounded => {
            let (tx, rx) = mpsc::unbounded_channel();
            (Tx::Unbounded(tx), Rx::Unbounded(rx))
        }
    }
}

impl<T> Tx<T> {
    /// Sends, waiting for room in a bounded channel.
    pub async fn send(&self, message: T) {
        let sent = match self {
            Tx::Bounded(tx) => tx.send(message).await.is_ok(),
            Tx::Unbounded(tx) => tx.send(message).is_ok(),
        };
        assert!(sent, "the receiver is gone");
    }

    /// Sends without waiting (the ring never fills a mailbox).
    pub fn try_send(&self, message: T) {
        let sent = match self {
            Tx::Bounded(tx) => tx.try_send(message).is_ok(),
            Tx::Unbounded(tx) => tx.send(message).is_ok(),
        };
        assert!(sent, "the receiver is gone or full");
    }
}

impl<T> Rx<T> {
    /// The next message, `None` once every sender is gone.
    pub async fn recv(&mut self) -> Option<T> {
        match self {
            Rx::Bounded(rx) => rx.recv().await,
            Rx::Unbounded(rx) => rx.recv().await,
        }
    }
}

/// Spawns the counter task; it ends when every sender is dropped.
pub fn spawn_counter(kind: MailboxKind) -> (Tx<Msg>, tokio::task::JoinHandle<()>) {
    let (tx, mut rx) = channel(kind);
    let task = tokio::spawn(async move {
        let mut count = 0u64;
        while let Some(message) = rx.recv().await {
            match message {
                Msg::Increment(by) => count += by,
                Msg::Get(reply) => {
                    let _ = reply.send(count);
                }
            }
        }
    });
    (tx, task)
}

/// An ask: a oneshot in the message, awaited.
pub async fn get(tx: &Tx<Msg>) -> u64 {
    let (reply, response) = oneshot::channel();
    tx.send(Msg::Get(reply)).await;
    response.await.expect("the counter replies")
}

/// The baseline with a bounded (`true`) or unbounded (`false`) mailbox.
#[derive(Debug)]
pub struct Tokio<const BOUNDED: bool>;

impl<const BOUNDED: bool> Tokio<BOUNDED> {
    const KIND: MailboxKind = if BOUNDED {
        MailboxKind::Bounded
    } else {
        MailboxKind::Unbounded
    };
}

impl<const BOUNDED: bool> Subject for Tokio<BOUNDED> {
    const NAME: &'static str = if BOUNDED { "tokio mpsc(1024)" } else { "tokio unbounded" };
    const MAILBOX: MailboxKind = Self::KIND;

    fn tell(flavor: Flavor, n: u64) -> Run {
        run_on(flavor, move || async move {
            let (tx, task) = spawn_counter(Self::KIND);
            get(&tx).await;
            let meter = Meter::start();
            for _ in 0..n {
                tx.send(Msg::Increment(1)).await;
            }
            assert_eq!(get(&tx).await, n);
            let run = meter.stop();
            drop(tx);
            task.await.expect("the counter ends");
            run
        })
    }

    fn ask(flavor: Flavor, n: u64) -> Latencies {
        run_on(flavor, move || async move {
            let (tx, task) = spawn_counter(Self::KIND);
            tx.send(Msg::Increment(7)).await;
            let mut samples = Vec::with_capacity(usize::try_from(n).unwrap_or(0));
            let meter = Meter::start();
            for _ in 0..n {
                let start = Instant::now();
                assert_eq!(get(&tx).await, 7);
                samples.push(start.elapsed());
            }
            let run = meter.stop();
            drop(tx);
            task.await.expect("the counter ends");
            Latencies::new(samples, run.allocations)
        })
    }

    fn spawn(flavor: Flavor, n: usize) -> SpawnCost {
        run_on(flavor, move || async move {
            let mut handles = Vec::with_capacity(n);
            let before = live_bytes();
            let meter = Meter::start();
            for _ in 0..n {
                handles.push(spawn_counter(Self::KIND));
            }
            let spawn = meter.stop();
            for (tx, _) in &handles {
                get(tx).await;
            }
            let idle_bytes = bytes_each_since(before, n);
            for (tx, task) in handles {
                drop(tx);
                task.await.expect("the counter ends");
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
            let (tx, task) = spawn_counter(Self::KIND);
            get(&tx).await;
            let meter = Meter::start();
            let tasks: Vec<_> = (0..senders)
                .map(|_| {
                    let tx = tx.clone();
                    tokio::spawn(async move {
                        for _ in 0..n / senders {
                            tx.send(Msg::Increment(1)).await;
                        }
                    })
                })
                .collect();
            for sender in tasks {
                sender.await.expect("a sender ends");
            }
            assert_eq!(get(&tx).await, n / senders * senders);
            let run = meter.stop();
            drop(tx);
            task.await.expect("the counter ends");
            run
        })
    }

    fn ring(flavor: Flavor, size: usize, hops: u64) -> Run {
        run_on(flavor, move || async move {
            let done = Arc::new(Notify::new());
            // Each node forwards `left - 1` to the next until it reaches 0.
            let (first_tx, first_rx) = channel::<u64>(Self::KIND);
            let mut rx = Some(first_rx);
            let mut tasks = Vec::with_capacity(size);
            let mut next_rx = None;
            for index in 0..size {
                let mut inbox = rx.take().or_else(|| next_rx.take()).expect("an inbox");
                let next = if index + 1 == size {
                    first_tx.clone()
                } else {
                    let (tx, rx) = channel::<u64>(Self::KIND);
                    next_rx = Some(rx);
                    tx
                };
                let done = done.clone();
                tasks.push(tokio::spawn(async move {
                    let mut count = 0u64;
                    while let Some(left) = inbox.recv().await {
                        count += 1;
                        if left == 0 {
                            done.notify_one();
                            break;
                        }
                        next.try_send(left - 1);
                    }
                    count
                }));
            }
            let meter = Meter::start();
            first_tx.try_send(hops - 1);
            done.notified().await;
            let run = meter.stop();
            drop(first_tx);
            for task in tasks {
                task.abort();
            }
            run
        })
    }
}
