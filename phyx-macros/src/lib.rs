//! Attribute macros of [phyx](https://docs.rs/phyx). Depend on `phyx` and
//! use them as `phyx::process`, `phyx::public`, ...: their documentation
//! lives there.
//!
//! Each impl attribute runs one pipeline, each layer importing only those
//! below it: `attr` (the grammars) → `model` (the impl and its marked
//! methods) → `check` (the rules, building the checked model) → `expand`
//! (the generated code). `errors`, `case` and `spelling` are leaves.

mod attr;
mod case;
mod check;
mod errors;
mod expand;
mod model;
mod spelling;

use proc_macro::TokenStream;

use attr::Kind;

/// Makes the type of an inherent `impl` block a phyx process. See the
/// `phyx` crate's documentation.
#[proc_macro_attribute]
pub fn process(args: TokenStream, input: TokenStream) -> TokenStream {
    expand::attribute(Kind::Process, args.into(), input.into()).into()
}

/// Makes the type of an inherent `impl` block a supervisor of the children
/// its `#[child]` methods build. See the `phyx` crate's documentation.
#[proc_macro_attribute]
pub fn supervisor(args: TokenStream, input: TokenStream) -> TokenStream {
    expand::attribute(Kind::Supervisor, args.into(), input.into()).into()
}

/// Marks a method of a `#[supervisor]` impl that builds a child.
#[proc_macro_attribute]
pub fn child(_args: TokenStream, input: TokenStream) -> TokenStream {
    expand::misplaced("child", input.into(), "#[supervisor]").into()
}

/// A circuit breaker on a `#[public]` method of a `#[process]` impl.
#[proc_macro_attribute]
pub fn circuit_breaker(_args: TokenStream, input: TokenStream) -> TokenStream {
    expand::misplaced("circuit_breaker", input.into(), "#[process]").into()
}

/// A rate limit on a `#[public]` method of a `#[process]` impl.
#[proc_macro_attribute]
pub fn rate_limit(_args: TokenStream, input: TokenStream) -> TokenStream {
    expand::misplaced("rate_limit", input.into(), "#[process]").into()
}

/// Makes a `#[public]` method of a `#[process]` impl idempotent: a call
/// whose key was seen within the window gets the first call's reply.
#[proc_macro_attribute]
pub fn idempotent(_args: TokenStream, input: TokenStream) -> TokenStream {
    expand::misplaced("idempotent", input.into(), "#[process]").into()
}

/// The undo of a `#[public]` method of a `#[process]` impl, for sagas.
#[proc_macro_attribute]
pub fn compensate(_args: TokenStream, input: TokenStream) -> TokenStream {
    expand::misplaced("compensate", input.into(), "#[process]").into()
}

/// Keeps the replies of a `#[public]` method of a `#[process]` impl at its
/// callers.
#[proc_macro_attribute]
pub fn cache(_args: TokenStream, input: TokenStream) -> TokenStream {
    expand::misplaced("cache", input.into(), "#[process]").into()
}

/// Checks the arguments of a `#[public]` method of a `#[process]` impl at
/// the caller.
#[proc_macro_attribute]
pub fn validate(_args: TokenStream, input: TokenStream) -> TokenStream {
    expand::misplaced("validate", input.into(), "#[process]").into()
}

/// Traces a `#[public]` method of a `#[process]` impl across processes
/// and nodes.
#[proc_macro_attribute]
pub fn trace(_args: TokenStream, input: TokenStream) -> TokenStream {
    expand::misplaced("trace", input.into(), "#[process]").into()
}

/// Marks a method of a `#[process]` impl as reachable through the handle.
#[proc_macro_attribute]
pub fn public(_args: TokenStream, input: TokenStream) -> TokenStream {
    expand::misplaced("public", input.into(), "#[process]").into()
}

/// Marks the start hook of a `#[process]` impl.
#[proc_macro_attribute]
pub fn on_start(_args: TokenStream, input: TokenStream) -> TokenStream {
    expand::misplaced("on_start", input.into(), "#[process]").into()
}

/// Marks the stop hook of a `#[process]` impl.
#[proc_macro_attribute]
pub fn on_stop(_args: TokenStream, input: TokenStream) -> TokenStream {
    expand::misplaced("on_stop", input.into(), "#[process]").into()
}

/// Marks the hook of a `#[process]` impl that hears a watched process stop.
#[proc_macro_attribute]
pub fn on_down(_args: TokenStream, input: TokenStream) -> TokenStream {
    expand::misplaced("on_down", input.into(), "#[process]").into()
}

/// Marks the health check of a `#[process]` impl.
#[proc_macro_attribute]
pub fn health_check(_args: TokenStream, input: TokenStream) -> TokenStream {
    expand::misplaced("health_check", input.into(), "#[process]").into()
}

/// Marks how an event changes the state of a `#[process(journal)]`.
#[proc_macro_attribute]
pub fn apply(_args: TokenStream, input: TokenStream) -> TokenStream {
    expand::misplaced("apply", input.into(), "#[process(journal)]").into()
}

/// Marks the method of a `#[process(journal)]` that makes its snapshot.
#[proc_macro_attribute]
pub fn snapshot(_args: TokenStream, input: TokenStream) -> TokenStream {
    expand::misplaced("snapshot", input.into(), "#[process(journal)]").into()
}

/// Marks the method of a `#[process(journal)]` that restores its snapshot.
#[proc_macro_attribute]
pub fn restore(_args: TokenStream, input: TokenStream) -> TokenStream {
    expand::misplaced("restore", input.into(), "#[process(journal)]").into()
}
