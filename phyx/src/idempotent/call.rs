//! One call of an `#[idempotent]` method, from the generated dispatch:
//! admitted against its method's table, then run (and its reply shared)
//! or answered from the table.
//!
//! ```text
//! Msg::Pay { id, amount, __phyx_reply } =>
//!     match idempotent(ctx, SPEC, &id, __phyx_reply) {
//!         Admit::Answered => Ok(()),
//!         Admit::Run(first, reply) => handle_idempotent(first, reply, async move { pay(id, amount) }).await,
//!     }
//! ```
//!
//! A handler that replies later gets, instead of its caller's end, one
//! whose other end a task holds (`idempotent_later`): the task shares the
//! reply once the handler sends it, wherever from.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::task::{Context, Poll};

use pin_project_lite::pin_project;
use tokio::sync::oneshot;

use super::table::{Entries, Seen, Waiter};
use super::{IdempotentSpec, Key, Shared};
use crate::clock::Clock;
use crate::kernel::ctx::Ctx;
use crate::kernel::reply::{NoReply, Panic, ReplyTo, Sent};
use crate::kernel::tree::Core;
use crate::panic::{CatchPanics, catch_panics};

/// Where a completed call is made durable before anyone hears its reply:
/// the reserved journal of a `#[process(journal)]` (see `journal.rs`).
pub(super) trait Record<K, R>: Send + Sync {
    /// Records `key`'s `reply`; the future resolves once it is stored (or
    /// the store failed, which it reports).
    fn record(&self, table: &Arc<Table<K, R>>, key: &K, reply: &R) -> Recording;
}

pub(super) type Recording = Pin<Box<dyn Future<Output = ()> + Send>>;

/// One idempotent method's table, on its process's core.
pub(super) struct Table<K, R> {
    entries: Mutex<Entries<K, R>>,
    clock: Arc<dyn Clock>,
    journal: Option<Box<dyn Record<K, R>>>,
}

/// The tables of a process's idempotent methods, by `IdempotentSpec::slot`.
struct Tables {
    slots: Box<[OnceLock<Arc<dyn Any + Send + Sync>>]>,
}

impl<K: Key, R: Shared> Table<K, R> {
    pub(super) fn new(core: &Core, entries: Entries<K, R>) -> Self {
        Self {
            entries: Mutex::new(entries),
            clock: core.system.clock.clone(),
            journal: None,
        }
    }

    #[cfg_attr(
        not(feature = "journal"),
        allow(dead_code, reason = "only a journaled table records its replies")
    )]
    pub(super) fn journaled(mut self, journal: Box<dyn Record<K, R>>) -> Self {
        self.journal = Some(journal);
        self
    }

    /// The table of `spec`'s method of the process at `core`, made by
    /// `make` if it has none yet.
    pub(super) fn of(core: &Core, spec: IdempotentSpec, make: impl FnOnce() -> Self) -> Arc<Self> {
        let table = slot(core, spec).get_or_init(|| Arc::new(make()));
        // The macro gives each slot one key and one reply type.
        table
            .clone()
            .downcast::<Self>()
            .unwrap_or_else(|_| unreachable!("the table of `{}` has another key or reply type", spec.method))
    }
}

impl<K, R> Table<K, R> {
    pub(super) fn lock(&self) -> MutexGuard<'_, Entries<K, R>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn now(&self) -> std::time::Instant {
        self.clock.now()
    }
}

/// The slot of `spec`'s table on `core`, whether it holds one yet or not.
pub(super) fn slot(core: &Core, spec: IdempotentSpec) -> &OnceLock<Arc<dyn Any + Send + Sync>> {
    let tables = core.idempotency.get_or_init(|| {
        Arc::new(Tables {
            slots: (0..spec.of).map(|_| OnceLock::new()).collect(),
        })
    });
    let tables = tables
        .downcast_ref::<Tables>()
        .unwrap_or_else(|| unreachable!("only `idempotent/` sets `Core::idempotency`"));
    &tables.slots[spec.slot]
}

/// What a call of an idempotent method does next: `Run` carries the
/// [`First`] and the caller's end. Generic over them, and without bounds,
/// so that the generated `match` on it adds no error of its own to one
/// about the key's type.
#[doc(hidden)]
pub enum Admit<F, To> {
    /// A duplicate: it was answered from the table, or waits there for the
    /// first call (a tell, with nobody to answer, just ends).
    Answered,
    /// The first call with its key: run the handler, and share its reply
    /// through the `First`.
    Run(F, To),
}

/// Admits a call of `spec`'s method with `key`, whose caller waits at
/// `reply_to`.
#[doc(hidden)]
pub fn idempotent<K: Key, R: Shared, T>(
    ctx: &Ctx<T>,
    spec: IdempotentSpec,
    key: &K,
    reply_to: ReplyTo<R>,
) -> Admit<First<K, R>, ReplyTo<R>> {
    let core = ctx.node().core();
    let table = Table::of(core, spec, || {
        Table::new(core, Entries::new(spec.window, spec.capacity))
    });
    let now = table.now();
    let mut entries = table.lock();
    match entries.admit(key, now) {
        Seen::First => {
            drop(entries);
            return Admit::Run(First::new(table, key.clone()), reply_to);
        }
        Seen::Running(waiters) => waiters.extend(reply_to),
        Seen::Done(reply) => {
            drop(entries);
            if let Some(to) = reply_to {
                let _ = to.send(Ok(Sent::trusted(reply)));
            }
        }
    }
    tracing::debug!(
        target: "phyx", process = %core.name, method = spec.method,
        "a duplicate of a call with the same key: answered with that call's reply, without running the handler"
    );
    Admit::Answered
}

/// The first call with a key, while it runs: done, it shares its reply
/// with every duplicate; dropped undone (a cancelled handler), it forgets
/// its key, and the duplicates that waited hear `Stopped`.
///
/// Without bounds, so that the key of a generic process that is not a
/// key is reported once, where [`idempotent`] is called, and not again by
/// every step of the dispatch that holds this: what needs the key's
/// bounds goes through functions made where they hold.
#[doc(hidden)]
pub struct First<K, R> {
    table: Arc<Table<K, R>>,
    /// `None` once done.
    key: Option<K>,
    /// The key replied: done in the table, its waiters answered.
    complete: fn(&Table<K, R>, K, &R),
    /// The key ended without a reply: forgotten, its waiters told why.
    forget: fn(&Table<K, R>, &K, &NoReply),
}

impl<K: Key, R: Shared> First<K, R> {
    fn new(table: Arc<Table<K, R>>, key: K) -> Self {
        Self {
            table,
            key: Some(key),
            complete: |table, key, reply| {
                let now = table.now();
                let waiters = table.lock().complete(&key, reply.clone(), now);
                for waiter in waiters {
                    let _ = waiter.send(Ok(Sent::trusted(reply.clone())));
                }
            },
            forget: |table, key, why| tell(table.lock().forget(key), why),
        }
    }
}

impl<K, R> First<K, R> {
    /// The record of `reply`, for a journaled process: to await before
    /// anyone hears the reply.
    fn record(&self, reply: &R) -> Option<Recording> {
        let (journal, key) = (self.table.journal.as_ref()?, self.key.as_ref()?);
        Some(journal.record(&self.table, key, reply))
    }

    /// The call replied `reply`: duplicates get it from now until the
    /// window has passed; those that waited get it now.
    fn complete(mut self, reply: &R) {
        if let Some(key) = self.key.take() {
            (self.complete)(&self.table, key, reply);
        }
    }

    /// The call ended without a reply, for `why`: the key is forgotten, so
    /// that a retry runs the handler, and the duplicates that waited are
    /// told `why`.
    fn fail(mut self, why: &NoReply) {
        if let Some(key) = self.key.take() {
            (self.forget)(&self.table, &key, why);
        }
    }
}

impl<K, R> Drop for First<K, R> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            (self.forget)(&self.table, &key, &NoReply::Stopped);
        }
    }
}

fn tell<R>(waiters: Vec<Waiter<R>>, why: &NoReply) {
    for waiter in waiters {
        let _ = waiter.send(Err(why.clone()));
    }
}

/// Runs the handler of a first call: its reply goes to its caller and to
/// the table (recorded first, in a journaled process); its panic to its
/// caller, to the duplicates that waited, and crashes the process, as
/// [`handle_and_reply`](crate::kernel::reply::handle_and_reply)'s.
#[doc(hidden)]
pub fn handle_idempotent<K, R, F: Future<Output = Sent<R>>>(
    first: First<K, R>,
    reply_to: ReplyTo<R>,
    handler: F,
) -> HandleIdempotent<K, R, F> {
    HandleIdempotent {
        first: Some(first),
        reply_to,
        handler: catch_panics(handler),
        recording: None,
    }
}

pin_project! {
    /// The future of [`handle_idempotent`]: the handler's future is stored
    /// once, in place (see `HandleAndReply`).
    #[doc(hidden)]
    pub struct HandleIdempotent<K, R, F> {
        first: Option<First<K, R>>,
        reply_to: ReplyTo<R>,
        #[pin]
        handler: CatchPanics<F>,
        // The handler's reply, while its record is being stored.
        recording: Option<(CatchPanics<Recording>, Sent<R>)>,
    }
}

impl<K, R, F: Future<Output = Sent<R>>> Future for HandleIdempotent<K, R, F> {
    type Output = Result<(), Panic>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        if this.recording.is_none() {
            let value = match std::task::ready!(this.handler.as_mut().poll(cx)) {
                Ok(value) => value,
                Err(message) => return Poll::Ready(Err(crashed(this.first.take(), this.reply_to.take(), message))),
            };
            match this.first.as_ref().and_then(|first| first.record(value.get())) {
                Some(recording) => *this.recording = Some((catch_panics(recording), value)),
                None => {
                    answer(this.first.take(), this.reply_to.take(), value);
                    return Poll::Ready(Ok(()));
                }
            }
        }
        let recorded = match this.recording.as_mut() {
            Some((recording, _)) => std::task::ready!(Pin::new(recording).poll(cx)),
            None => Ok(()),
        };
        let Some((_, value)) = this.recording.take() else {
            return Poll::Ready(Ok(()));
        };
        match recorded {
            Ok(()) => {
                answer(this.first.take(), this.reply_to.take(), value);
                Poll::Ready(Ok(()))
            }
            // The store panicked: as a panic of the handler would.
            Err(message) => Poll::Ready(Err(crashed(this.first.take(), this.reply_to.take(), message))),
        }
    }
}

/// The first call crashed with `message`: its caller and the duplicates
/// that waited hear it, and its key is forgotten. Returns the panic, for
/// a handler's process to crash with.
fn crashed<K, R>(first: Option<First<K, R>>, reply_to: ReplyTo<R>, message: Arc<str>) -> Panic {
    let why = NoReply::Panicked(message.clone());
    if let Some(first) = first {
        first.fail(&why);
    }
    if let Some(to) = reply_to {
        let _ = to.send(Err(why));
    }
    Panic { message }
}

/// Shares `value` with the table and the duplicates, then gives it to the
/// first call's caller.
fn answer<K, R>(first: Option<First<K, R>>, reply_to: ReplyTo<R>, value: Sent<R>) {
    if let Some(first) = first {
        first.complete(value.get());
    }
    if let Some(to) = reply_to {
        // The caller may have given up (timeout): nothing to do.
        let _ = to.send(Ok(value));
    }
}

/// The `Reply` end for the first call of an idempotent method that
/// replies later: a task waits at its other end and, once the handler
/// sends (from wherever it handed the `Reply` to), shares the reply as
/// [`handle_idempotent`] does, then answers `reply_to`. A `Reply` dropped
/// unsent (or by a panic) fails the first caller and the duplicates that
/// waited alike, and forgets the key.
#[doc(hidden)]
pub fn idempotent_later<K: Send + 'static, R: Send + 'static, T>(
    ctx: &Ctx<T>,
    first: First<K, R>,
    reply_to: ReplyTo<R>,
) -> ReplyTo<R> {
    let (sender, receiver) = oneshot::channel::<Result<Sent<R>, NoReply>>();
    ctx.node().core().system.spawn_task(async move {
        // A `Reply` always answers as it drops; a closed end is one that
        // could not (a runtime shutting down).
        match receiver.await.unwrap_or(Err(NoReply::ReplyDropped)) {
            Ok(value) => {
                let recorded = match first.record(value.get()) {
                    Some(recording) => catch_panics(recording).await,
                    None => Ok(()),
                };
                match recorded {
                    Ok(()) => answer(Some(first), reply_to, value),
                    Err(message) => {
                        crashed(Some(first), reply_to, message);
                    }
                }
            }
            Err(why) => {
                first.fail(&why);
                if let Some(to) = reply_to {
                    let _ = to.send(Err(why));
                }
            }
        }
    });
    Some(sender)
}
