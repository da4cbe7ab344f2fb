//! `#[idempotent(key = arg, window = "10m")]`: a call whose key was seen
//! within the window gets the first call's reply, and the handler does not
//! run again.
//!
//! Everything happens on the process's side, in the generated dispatch,
//! so callers on every node share one table: the one that lives with the
//! process. It sits on the process's `Core` (`Core::idempotency`), one
//! table per idempotent method, and so survives the process's restarts;
//! it is not the process's state, which a restart resets.
//!
//! A call finds its key in one of three ways (`table.rs`):
//!
//! - unseen (or its window ended): it runs the handler, its key running
//!   meanwhile;
//! - running: only a handler that replies later (`Reply<R>`) can still be
//!   running when the next message is dispatched; the duplicate's caller
//!   waits with the first call's, and gets a clone of its reply;
//! - done: a clone of the reply, at once.
//!
//! A first call that ends without a reply (its handler panicked, its
//! `Reply` was dropped, the handler was cancelled) forgets its key and
//! tells the duplicates that waited the same thing as its own caller.
//!
//! A `#[process(journal)]` also records each reply in a journal of its
//! own, under the reserved prefix (`journal.rs`), before anyone hears it.

mod call;
#[cfg(feature = "journal")]
mod journal;
mod table;

use std::time::Duration;

pub use call::{Admit, First, HandleIdempotent, handle_idempotent, idempotent, idempotent_later};
#[cfg(feature = "journal")]
pub use journal::{Recorded, recover_idempotent};

/// One `#[idempotent(...)]` method, as the macro writes it.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct IdempotentSpec {
    /// The method's name.
    pub method: &'static str,
    /// Its place among the process's idempotent methods, and how many
    /// those are: the table it keeps on the process's core.
    pub slot: usize,
    pub of: usize,
    /// How long after the first call's reply a duplicate still gets it.
    pub window: Duration,
    /// The most completed keys kept (`capacity = N`); `None`: every key
    /// seen within one window.
    pub capacity: Option<usize>,
}

/// What the key of an `#[idempotent]` method must be. `OK` sizes an array
/// in the generated code, so that a key that is not one is reported once,
/// on its type (see phyx-macros' `expand/sendable.rs`).
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the key of an `#[idempotent]` method: a key must be `Hash + Eq + Clone`",
    label = "not `Hash + Eq + Clone`",
    note = "the method remembers every key it has seen: key it by an argument whose type derives `Hash, PartialEq, Eq, Clone` (a `String`, an integer, an id of your own)"
)]
pub trait IdempotentKey {
    const OK: usize = 1;
}

impl<T: std::hash::Hash + Eq + Clone + Send + 'static> IdempotentKey for T {}

/// What the reply of an `#[idempotent]` method must be: every duplicate
/// gets a clone of the first call's. See [`IdempotentKey`].
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not `Clone`, and the reply of an `#[idempotent]` method must be: each duplicate call gets a clone of the first call's reply",
    label = "not `Clone`",
    note = "derive `Clone` for `{Self}`, or reply with an `Arc` of it"
)]
pub trait IdempotentReply {
    const OK: usize = 1;
}

impl<T: Clone + Send + 'static> IdempotentReply for T {}

/// What a table needs of its keys: the bounds [`IdempotentKey`] checks
/// where the user wrote the key's type. (The checks themselves have no
/// supertraits: a bound of the impl that fails is reported in the check's
/// words, a supertrait that fails in rustc's own.)
pub trait Key: std::hash::Hash + Eq + Clone + Send + 'static {}

impl<T: std::hash::Hash + Eq + Clone + Send + 'static> Key for T {}

/// What a table needs of its replies; see [`Key`].
pub trait Shared: Clone + Send + 'static {}

impl<T: Clone + Send + 'static> Shared for T {}
