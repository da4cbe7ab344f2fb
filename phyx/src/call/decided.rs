//! What the caller decides before a call is sent: arguments its
//! validator refuses (`#[validate]`), and replies its cache already has
//! (`#[cache]`).

use std::fmt::Display;
use std::sync::Arc;

use crate::cache::{self, CacheSpec, Cached, KeyRef};
use crate::kernel::addr::Addr;
use crate::kernel::process::{Message, Status};

/// What a call carries from the caller's checks: nothing for a method
/// with neither attribute, which is every call's common case.
pub(crate) enum Decided<R, M: Message> {
    Nothing,
    /// Refused by the method's validator, in its words.
    Invalid(Arc<str>),
    /// A `#[cache]` method's call: how to look it up in the cache, once
    /// it is awaited (a tell is always sent).
    Cached(Probe<R, M>),
}

/// Looks a call up in its method's cache, from its message: `None` when
/// there is no cache to ask (the process stopped for good).
pub(crate) type Probe<R, M> = fn(&Addr<M>, &M) -> Option<Cached<R>>;

/// What a validator returns: `Ok(())` to let the call through, or an
/// `Err` whose text refuses it. The validator itself is called as written
/// (`check(&amount, &memo)`), so its parameters may be what the arguments
/// deref to (`&str` for a `String`).
#[diagnostic::on_unimplemented(
    message = "a validator returns `Result<(), E>` with `E: Display`, not `{Self}`",
    label = "returns `{Self}`",
    note = "write a function taking each argument of the method by reference, in order, e.g. `fn check(amount: &u64) -> Result<(), String>`"
)]
pub trait Verdict {
    /// Why the arguments are refused, or `None` for arguments accepted.
    fn refusal(self) -> Option<Arc<str>>;
}

impl<Why: Display> Verdict for Result<(), Why> {
    fn refusal(self) -> Option<Arc<str>> {
        self.err().map(|why| why.to_string().into())
    }
}

/// What an argument of a `#[cache]` method must be: part of the key its
/// reply is kept under. Checked on each argument as written (see
/// phyx-macros' `expand/sendable.rs` for how), so that a type that is not
/// is one error, on it.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot key a cache: the arguments of a `#[cache]` method must be `Hash + Eq + Clone`",
    label = "not `Hash + Eq + Clone`",
    note = "derive `Hash, PartialEq, Eq, Clone` on the type, or remove `#[cache]` from the method"
)]
pub trait CacheArgument {
    /// Sizes the array that spells the checked type.
    const OK: usize = 1;
}

impl<T: std::hash::Hash + Eq + Clone + Send + 'static> CacheArgument for T {}

/// What a `#[cache]` method must return: a reply the cache hands out a
/// copy of. See [`CacheArgument`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be cached: what a `#[cache]` method returns must be `Clone`",
    label = "not `Clone`",
    note = "derive or implement `Clone` for the reply (or return an `Arc` of it), or remove `#[cache]` from the method"
)]
pub trait CacheReply {
    /// Sizes the array that spells the checked type.
    const OK: usize = 1;
}

impl<T: Clone + Send + 'static> CacheReply for T {}

/// Looks a call of the `index`th cached method of the process at `addr`
/// up in its cache. `keep` says which replies to store.
#[doc(hidden)]
pub fn cache_lookup<M: Message, Q: KeyRef, R: Clone + Send + 'static>(
    addr: &Addr<M>,
    index: usize,
    spec: CacheSpec,
    key: &Q,
    keep: fn(&R) -> bool,
) -> Option<Cached<R>> {
    let core = addr.core();
    let caches = core.caches.get()?;
    // A process stopped for good answers nothing, from its cache neither.
    // (Its status, not its mailbox: no lock on the hit's path.)
    if core.status() == Status::Stopped {
        return None;
    }
    cache::lookup(caches, index, spec, key, keep, core.system.clock.now_coarse())
}
