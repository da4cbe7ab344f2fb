//! The calls one `#[idempotent]` method has seen, by key: running (with
//! the duplicates waiting for it) or done (with its reply, until its
//! window ends). Plain bookkeeping on instants, no clock, no tasks.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use crate::kernel::reply::{NoReply, Sent};

/// A duplicate's caller, waiting for the first call's reply.
pub(super) type Waiter<R> = oneshot::Sender<Result<Sent<R>, NoReply>>;

/// What a call with a key finds.
pub(super) enum Seen<'a, R> {
    /// Nobody had the key (or its window ended): this call runs the
    /// handler, and its key is now running.
    First,
    /// The first call with the key is still running: who waits for it,
    /// which a duplicate's caller joins.
    Running(&'a mut Vec<Waiter<R>>),
    /// The first call is done: its reply, for this caller.
    Done(R),
}

enum Entry<R> {
    Running(Vec<Waiter<R>>),
    Done {
        reply: R,
        expires: Instant,
        /// Which completion of the key this is, to tell an entry of
        /// `Entries::expiries` that still stands from one replaced since.
        stamp: u64,
    },
}

/// The entries of one method's table.
///
/// Invariants: every `Done` entry has one item in `expiries` with its
/// stamp (items whose entry was replaced are stale, and skipped when
/// reached); `done` counts the `Done` entries.
pub(super) struct Entries<K, R> {
    map: HashMap<K, Entry<R>>,
    /// Completed keys, in the order they completed: the oldest first.
    expiries: VecDeque<(Instant, u64, K)>,
    window: Duration,
    /// The most `Done` entries kept; `None`: as many as complete within
    /// one window.
    capacity: Option<usize>,
    done: usize,
    next_stamp: u64,
}

impl<K: Hash + Eq + Clone, R: Clone> Entries<K, R> {
    pub(super) fn new(window: Duration, capacity: Option<usize>) -> Self {
        Self {
            map: HashMap::new(),
            expiries: VecDeque::new(),
            window,
            capacity,
            done: 0,
            next_stamp: 0,
        }
    }

    /// A call with `key` at `now`: the first (its key now running), a
    /// duplicate of one running, or of one done. Forgets the entries whose
    /// window has ended first, so that memory stays what one window's
    /// calls need.
    pub(super) fn admit(&mut self, key: &K, now: Instant) -> Seen<'_, R> {
        self.sweep(now);
        // Looked up twice on a first call: `get_mut` would hold the map
        // borrowed for the insert (the borrow checker's known limit).
        if !self.map.contains_key(key) {
            self.map.insert(key.clone(), Entry::Running(Vec::new()));
            return Seen::First;
        }
        let Some(entry) = self.map.get_mut(key) else {
            return Seen::First;
        };
        match entry {
            Entry::Running(waiters) => Seen::Running(waiters),
            // `sweep` keeps no entry past its window; the check stays
            // exact whatever order the expiries were queued in.
            Entry::Done { reply, expires, .. } if *expires > now => Seen::Done(reply.clone()),
            Entry::Done { .. } => {
                *entry = Entry::Running(Vec::new());
                self.done -= 1;
                Seen::First
            }
        }
    }

    /// The first call with `key` replied `reply` at `now`: duplicates get
    /// it until `now + window`. Returns the duplicates that waited.
    pub(super) fn complete(&mut self, key: &K, reply: R, now: Instant) -> Vec<Waiter<R>> {
        let waiters = match self.map.remove(key) {
            Some(Entry::Running(waiters)) => waiters,
            Some(Entry::Done { .. }) => {
                self.done -= 1;
                Vec::new()
            }
            None => Vec::new(),
        };
        self.insert_done(key.clone(), reply, now);
        waiters
    }

    /// A record of `key`'s reply, read back from a journal at `now`: it
    /// counts as seen then, so that its window is never shortened.
    #[cfg_attr(
        not(feature = "journal"),
        allow(dead_code, reason = "only a journaled table restores and snapshots")
    )]
    pub(super) fn restore(&mut self, key: K, reply: R, now: Instant) {
        if let Some(Entry::Done { .. }) = self.map.remove(&key) {
            self.done -= 1;
        }
        self.insert_done(key, reply, now);
    }

    /// The first call with `key` ended without a reply: the key is
    /// forgotten, so that the next call with it runs the handler. Returns
    /// the duplicates that waited, to be told why.
    pub(super) fn forget(&mut self, key: &K) -> Vec<Waiter<R>> {
        match self.map.remove(key) {
            Some(Entry::Running(waiters)) => waiters,
            Some(done @ Entry::Done { .. }) => {
                // Not this call's to forget.
                self.map.insert(key.clone(), done);
                Vec::new()
            }
            None => Vec::new(),
        }
    }

    /// The completed keys whose window has not ended, with their replies:
    /// what a snapshot of the table keeps.
    #[cfg_attr(
        not(feature = "journal"),
        allow(dead_code, reason = "only a journaled table restores and snapshots")
    )]
    pub(super) fn live(&self, now: Instant) -> Vec<(&K, &R)> {
        self.map
            .iter()
            .filter_map(|(key, entry)| match entry {
                Entry::Done { reply, expires, .. } if *expires > now => Some((key, reply)),
                _ => None,
            })
            .collect()
    }

    /// How many keys the table holds, running or done.
    #[cfg_attr(
        not(feature = "journal"),
        allow(dead_code, reason = "only a journaled table restores and snapshots")
    )]
    pub(super) fn len(&self) -> usize {
        self.map.len()
    }

    fn insert_done(&mut self, key: K, reply: R, now: Instant) {
        let stamp = self.next_stamp;
        self.next_stamp += 1;
        let expires = now + self.window;
        self.expiries.push_back((expires, stamp, key.clone()));
        self.map.insert(key, Entry::Done { reply, expires, stamp });
        self.done += 1;
        if let Some(capacity) = self.capacity {
            while self.done > capacity {
                if !self.pop_oldest() {
                    break;
                }
            }
        }
    }

    /// Forgets every completed key whose window ended by `now`.
    fn sweep(&mut self, now: Instant) {
        while self.expiries.front().is_some_and(|(expires, ..)| *expires <= now) {
            self.pop_oldest();
        }
    }

    /// Forgets the oldest completed key, unless its entry was replaced
    /// since; `false` once there is none.
    fn pop_oldest(&mut self) -> bool {
        let Some((_, stamp, key)) = self.expiries.pop_front() else {
            return false;
        };
        if matches!(self.map.get(&key), Some(Entry::Done { stamp: current, .. }) if *current == stamp) {
            self.map.remove(&key);
            self.done -= 1;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start() -> Instant {
        crate::clock::Clock::now(&crate::TokioClock)
    }

    const WINDOW: Duration = Duration::from_secs(60);

    #[test]
    fn a_key_runs_once_then_answers_until_its_window_ends() {
        let now = start();
        let mut entries = Entries::<&str, u32>::new(WINDOW, None);
        assert!(matches!(entries.admit(&"a", now), Seen::First));
        assert!(matches!(entries.admit(&"a", now), Seen::Running(_)));
        assert!(entries.complete(&"a", 7, now).is_empty());
        let just_before = now + WINDOW - Duration::from_nanos(1);
        assert!(matches!(entries.admit(&"a", just_before), Seen::Done(7)));
        assert!(matches!(entries.admit(&"a", now + WINDOW), Seen::First));
        assert_eq!(entries.len(), 1, "the expired entry was replaced, not kept beside");
    }

    #[test]
    fn duplicates_of_a_running_key_wait_and_are_handed_back() {
        let now = start();
        let mut entries = Entries::<u8, u32>::new(WINDOW, None);
        entries.admit(&1, now);
        let (waiter, _rx) = oneshot::channel();
        let Seen::Running(waiters) = entries.admit(&1, now) else {
            panic!("the key is running");
        };
        waiters.push(waiter);
        assert_eq!(entries.complete(&1, 3, now).len(), 1);
    }

    #[test]
    fn a_forgotten_key_runs_again_and_its_waiters_are_handed_back() {
        let now = start();
        let mut entries = Entries::<u8, u32>::new(WINDOW, None);
        entries.admit(&1, now);
        let (waiter, _rx) = oneshot::channel();
        if let Seen::Running(waiters) = entries.admit(&1, now) {
            waiters.push(waiter);
        }
        assert_eq!(entries.forget(&1).len(), 1);
        assert!(matches!(entries.admit(&1, now), Seen::First));
    }

    #[test]
    fn expired_keys_are_swept_on_the_next_call() {
        let now = start();
        let mut entries = Entries::<u32, u32>::new(WINDOW, None);
        for key in 0..100 {
            entries.admit(&key, now);
            entries.complete(&key, key, now);
        }
        assert_eq!(entries.len(), 100);
        entries.admit(&1000, now + WINDOW);
        assert_eq!(entries.len(), 1, "only the new key is left");
    }

    #[test]
    fn past_its_capacity_the_oldest_completed_key_is_forgotten() {
        let now = start();
        let mut entries = Entries::<u32, u32>::new(WINDOW, Some(2));
        for key in 0..3 {
            entries.admit(&key, now);
            entries.complete(&key, key, now);
        }
        assert!(matches!(entries.admit(&0, now), Seen::First));
        assert!(matches!(entries.admit(&2, now), Seen::Done(2)));
    }

    #[test]
    fn a_restored_record_replaces_the_older_one_and_counts_from_now() {
        let now = start();
        let mut entries = Entries::<u8, u32>::new(WINDOW, Some(10));
        entries.restore(1, 1, now);
        let later = now + Duration::from_secs(30);
        entries.restore(1, 2, later);
        assert!(matches!(entries.admit(&1, now + WINDOW), Seen::Done(2)));
        assert_eq!(entries.live(now + WINDOW).len(), 1);
        assert!(matches!(entries.admit(&1, later + WINDOW), Seen::First));
    }
}
