//! The bounded queue in front of every process.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use tokio::sync::Notify;

/// What a mailbox does with a message that arrives when it is full.
///
/// Set per process with `#[process(overflow = ...)]` or
/// [`SpawnOptions::overflow`](crate::SpawnOptions::overflow). Every message
/// dropped or rejected is reported as an [`Event`](crate::event::Event).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Overflow {
    /// The new message is refused: an ask fails with
    /// [`CallError::MailboxFull`](crate::CallError::MailboxFull), a tell with
    /// [`SendError::MailboxFull`](crate::SendError::MailboxFull).
    Reject,
    /// The oldest queued message is dropped to make room; its caller (if it
    /// asked) gets [`CallError::Dropped`](crate::CallError::Dropped) at once.
    DropOldest,
    /// Asks and [`Call::send_wait`](crate::Call::send_wait) wait for room;
    /// [`Call::send`](crate::Call::send) still fails at once. The default.
    #[default]
    Backpressure,
}

pub(crate) enum PushError<M> {
    Full(M),
    Closed(M),
}

/// A message pushed in, and possibly the oldest one evicted to make room.
pub(crate) type Pushed<M> = Result<Option<M>, PushError<M>>;

/// Scheduler turns a sender waiting for room yields before it parks.
const YIELDS_BEFORE_PARKING: u32 = 16;

pub(crate) struct Mailbox<M> {
    queue: Mutex<Queue<M>>,
    capacity: usize,
    overflow: Overflow,
    room: Notify,
}

struct Queue<M> {
    items: VecDeque<M>,
    closed: bool,
    interrupted: bool,
    poked: bool,
    receiver: Option<Waker>,
    senders_waiting: usize,
}

impl<M> Mailbox<M> {
    pub(crate) fn new(capacity: usize, overflow: Overflow) -> Self {
        Self {
            queue: Mutex::new(Queue {
                items: VecDeque::new(),
                closed: false,
                interrupted: false,
                poked: false,
                receiver: None,
                senders_waiting: 0,
            }),
            capacity,
            overflow,
            room: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Queue<M>> {
        // Nothing panics while the lock is held, but a poisoned queue is
        // still consistent: every mutation is a single VecDeque call.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn overflow(&self) -> Overflow {
        self.overflow
    }

    /// Pushes without waiting, applying the overflow policy (backpressure
    /// counts as reject here).
    pub(crate) fn try_push(&self, message: M) -> Pushed<M> {
        let mut queue = self.lock();
        if queue.closed {
            return Err(PushError::Closed(message));
        }
        let evicted = if queue.items.len() < self.capacity {
            None
        } else if self.overflow == Overflow::DropOldest {
            queue.items.pop_front()
        } else {
            return Err(PushError::Full(message));
        };
        queue.items.push_back(message);
        wake_receiver(queue);
        Ok(evicted)
    }

    /// Pushes a message that was accepted once already (by a pool member
    /// that stopped), past the capacity if need be; gives it back if the
    /// mailbox is closed.
    pub(crate) fn requeue(&self, message: M) -> Result<(), M> {
        let mut queue = self.lock();
        if queue.closed {
            return Err(message);
        }
        queue.items.push_back(message);
        wake_receiver(queue);
        Ok(())
    }

    /// Puts back, first in line, a message just received that its
    /// instance could not handle (an isolated process whose OS process
    /// had died): the next instance handles it, in its place. Gives it
    /// back if the mailbox is closed.
    #[cfg(feature = "isolated")]
    pub(crate) fn requeue_front(&self, message: M) -> Result<(), M> {
        let mut queue = self.lock();
        if queue.closed {
            return Err(message);
        }
        queue.items.push_front(message);
        wake_receiver(queue);
        Ok(())
    }

    /// Pushes, waiting for room when the policy is backpressure.
    ///
    /// Cancel safe: dropping the future drops the message unsent.
    pub(crate) async fn push(&self, mut message: M) -> Pushed<M> {
        if self.overflow != Overflow::Backpressure {
            return self.try_push(message);
        }
        let mut yields = 0;
        loop {
            // The common case, room at once, registers nothing: enabling a
            // `Notified` locks the `Notify` twice (in and out).
            message = match self.try_push(message) {
                Err(PushError::Full(message)) => message,
                pushed => return pushed,
            };
            // A full mailbox whose process is running makes room within a
            // few scheduler turns. Yielding for them before parking spares
            // the sender a park and a wake-up, which on a multi-thread
            // runtime often means putting a worker thread to sleep and
            // waking it again.
            if yields < YIELDS_BEFORE_PARKING {
                yields += 1;
                tokio::task::yield_now().await;
                continue;
            }
            yields = 0;
            let room = self.room.notified();
            tokio::pin!(room);
            room.as_mut().enable();
            // Counted before trying again: a receiver that makes room after
            // this sees the count and notifies; one that made room before it
            // left the room for this second try.
            let _waiting = WaitingSender::register(self);
            message = match self.try_push(message) {
                Err(PushError::Full(message)) => message,
                pushed => return pushed,
            };
            room.await;
        }
    }

    /// The next message, or `None` once [`interrupt`](Self::interrupt)ed
    /// or [`poke`](Self::poke)d.
    pub(crate) fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<Option<M>> {
        let mut queue = self.lock();
        if queue.interrupted || std::mem::take(&mut queue.poked) {
            return Poll::Ready(None);
        }
        match queue.items.pop_front() {
            Some(message) => {
                // Waiting senders are woken once the queue is down to half
                // its capacity, not at every message taken: a woken sender
                // then fills many slots in a row instead of trading one
                // wake-up (a cross-thread one on a multi-thread runtime) for
                // every message.
                let wake_sender = queue.senders_waiting > 0 && queue.items.len() <= self.capacity / 2;
                drop(queue);
                if wake_sender {
                    self.room.notify_one();
                }
                Poll::Ready(Some(message))
            }
            None => {
                queue.receiver = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }

    pub(crate) async fn recv(&self) -> Option<M> {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Makes the receiver stop receiving, leaving the queue as it is.
    pub(crate) fn interrupt(&self) {
        self.signal(|queue| queue.interrupted = true);
    }

    /// Makes the receiver's next receive return `None` once, so that it
    /// looks at why.
    pub(crate) fn poke(&self) {
        self.signal(|queue| queue.poked = true);
    }

    /// Withdraws a [`poke`](Self::poke) not yet seen by a receive.
    pub(crate) fn unpoke(&self) {
        self.lock().poked = false;
    }

    fn signal(&self, mark: impl FnOnce(&mut Queue<M>)) {
        let mut queue = self.lock();
        mark(&mut queue);
        wake_receiver(queue);
    }

    /// The oldest message, if any, without waiting.
    #[cfg(any(test, feature = "test-util"))]
    pub(crate) fn try_recv(&self) -> Option<M> {
        match self.poll_recv(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(message) => message,
            Poll::Pending => None,
        }
    }

    /// Refuses every later push and hands back what was queued.
    pub(crate) fn close(&self) -> VecDeque<M> {
        let mut queue = self.lock();
        queue.closed = true;
        let pending = std::mem::take(&mut queue.items);
        drop(queue);
        self.room.notify_waiters();
        pending
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.lock().closed
    }

    pub(crate) fn len(&self) -> usize {
        self.lock().items.len()
    }
}

/// Releases the queue, then wakes the receiver waiting on it, if any: a
/// woken receiver must not find the lock still held.
fn wake_receiver<M>(mut queue: MutexGuard<'_, Queue<M>>) {
    let receiver = queue.receiver.take();
    drop(queue);
    if let Some(waker) = receiver {
        waker.wake();
    }
}

/// Counts a sender parked on a full mailbox, so receivers know to wake one;
/// uncounts it however the wait ends (room, close or cancellation).
struct WaitingSender<'a, M> {
    mailbox: &'a Mailbox<M>,
}

impl<'a, M> WaitingSender<'a, M> {
    fn register(mailbox: &'a Mailbox<M>) -> Self {
        mailbox.lock().senders_waiting += 1;
        Self { mailbox }
    }
}

impl<M> Drop for WaitingSender<'_, M> {
    fn drop(&mut self) {
        self.mailbox.lock().senders_waiting -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reject_refuses_when_full() {
        let mailbox = Mailbox::new(2, Overflow::Reject);
        assert!(matches!(mailbox.try_push(1), Ok(None)));
        assert!(matches!(mailbox.try_push(2), Ok(None)));
        assert!(matches!(mailbox.try_push(3), Err(PushError::Full(3))));
        assert_eq!(mailbox.try_recv(), Some(1));
        assert!(matches!(mailbox.try_push(3), Ok(None)));
    }

    #[test]
    fn drop_oldest_evicts_the_front() {
        let mailbox = Mailbox::new(2, Overflow::DropOldest);
        for n in 1..=2 {
            assert!(matches!(mailbox.try_push(n), Ok(None)));
        }
        assert!(matches!(mailbox.try_push(3), Ok(Some(1))));
        assert_eq!(mailbox.try_recv(), Some(2));
        assert_eq!(mailbox.try_recv(), Some(3));
        assert_eq!(mailbox.try_recv(), None);
    }

    #[test]
    fn close_returns_pending_and_refuses_later_pushes() {
        let mailbox = Mailbox::new(4, Overflow::Backpressure);
        assert!(matches!(mailbox.try_push(1), Ok(None)));
        assert_eq!(mailbox.close(), [1]);
        assert!(matches!(mailbox.try_push(2), Err(PushError::Closed(2))));
    }

    #[tokio::test]
    async fn backpressure_waits_for_room() {
        let mailbox = std::sync::Arc::new(Mailbox::new(1, Overflow::Backpressure));
        assert!(matches!(mailbox.try_push(1), Ok(None)));
        let sender = tokio::spawn({
            let mailbox = mailbox.clone();
            async move { matches!(mailbox.push(2).await, Ok(None)) }
        });
        tokio::task::yield_now().await;
        assert!(!sender.is_finished());
        assert_eq!(mailbox.recv().await, Some(1));
        assert!(sender.await.unwrap());
        assert_eq!(mailbox.recv().await, Some(2));
    }

    #[tokio::test]
    async fn a_sender_finds_room_made_while_it_yields_without_parking() {
        let mailbox = std::sync::Arc::new(Mailbox::new(4, Overflow::Backpressure));
        for n in 1..=4 {
            assert!(matches!(mailbox.try_push(n), Ok(None)));
        }
        let sender = tokio::spawn({
            let mailbox = mailbox.clone();
            async move { matches!(mailbox.push(5).await, Ok(None)) }
        });
        tokio::task::yield_now().await;
        assert_eq!(mailbox.recv().await, Some(1));
        // One slot free, far above half empty: only a sender still trying
        // (not parked, waiting for the half-empty wake-up) takes it.
        tokio::task::yield_now().await;
        tokio::task::yield_now().await;
        assert!(sender.is_finished());
        assert!(sender.await.unwrap());
        assert_eq!(mailbox.len(), 4);
    }

    #[tokio::test]
    async fn parked_senders_wake_once_the_queue_is_half_empty() {
        let mailbox = std::sync::Arc::new(Mailbox::new(4, Overflow::Backpressure));
        for n in 1..=4 {
            assert!(matches!(mailbox.try_push(n), Ok(None)));
        }
        let sender = tokio::spawn({
            let mailbox = mailbox.clone();
            async move { matches!(mailbox.push(5).await, Ok(None)) }
        });
        // Long enough for the sender to give up yielding and park.
        for _ in 0..=YIELDS_BEFORE_PARKING {
            tokio::task::yield_now().await;
        }
        assert!(!sender.is_finished());
        assert_eq!(mailbox.recv().await, Some(1));
        tokio::task::yield_now().await;
        assert!(!sender.is_finished(), "three of four queued: not woken yet");
        assert_eq!(mailbox.recv().await, Some(2));
        assert!(sender.await.unwrap());
        assert_eq!(mailbox.len(), 3);
    }

    #[test]
    fn interrupt_ends_receiving_but_keeps_the_queue() {
        let mailbox = Mailbox::new(4, Overflow::Reject);
        assert!(matches!(mailbox.try_push(1), Ok(None)));
        mailbox.interrupt();
        assert_eq!(mailbox.try_recv(), None);
        assert_eq!(mailbox.close(), [1]);
    }

    #[test]
    fn a_poke_interrupts_one_receive() {
        let mailbox = Mailbox::new(4, Overflow::Reject);
        assert!(matches!(mailbox.try_push(1), Ok(None)));
        mailbox.poke();
        assert_eq!(mailbox.try_recv(), None);
        assert_eq!(mailbox.try_recv(), Some(1));
    }

    #[tokio::test]
    async fn close_wakes_waiting_senders() {
        let mailbox = std::sync::Arc::new(Mailbox::new(1, Overflow::Backpressure));
        assert!(matches!(mailbox.try_push(1), Ok(None)));
        let sender = tokio::spawn({
            let mailbox = mailbox.clone();
            async move { matches!(mailbox.push(2).await, Err(PushError::Closed(2))) }
        });
        tokio::task::yield_now().await;
        mailbox.close();
        assert!(sender.await.unwrap());
    }
}
