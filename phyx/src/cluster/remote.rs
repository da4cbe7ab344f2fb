//! Which processes' messages cross: a marker the macro implements.

use crate::kernel::process::Process;

/// A process whose `impl` says `#[process(remote)]`: its messages can
/// cross to another node or OS process, so it can be
/// [registered](crate::System::register) for other nodes and run in an OS
/// process of its own (feature `isolated`).
///
/// Implemented by `#[process(remote)]`, never by hand. Bound on it in
/// generic code that needs such a process:
///
/// ```
/// use phyx::cluster::Remote;
/// use phyx::prelude::*;
///
/// fn methods<T: Remote>() -> &'static [&'static str] {
///     <T::Message as phyx::Message>::METHODS
/// }
///
/// #[derive(Default)]
/// struct Counter { count: u64 }
///
/// #[process(remote)]
/// impl Counter {
///     #[public]
///     fn get(&self) -> u64 { self.count }
/// }
///
/// assert_eq!(methods::<Counter>(), ["get"]);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a `#[process(remote)]` process",
    label = "not `#[process(remote)]`",
    note = "only a process whose messages can cross between OS processes runs in one of its own: write `#[process(remote)]` on its `impl` block (its arguments and replies must then be `Serialize + DeserializeOwned`)"
)]
pub trait Remote: Process {}
