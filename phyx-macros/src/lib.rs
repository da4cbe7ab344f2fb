//! Attribute macros of [phyx](https://docs.rs/phyx). Depend on `phyx` and
//! use them as `phyx::process`, `phyx::public`, ...: their documentation
//! lives there.

mod ast;
mod attr;
mod case;
mod compensate;
mod duration;
mod errors;
mod expand;
mod types;
mod valid;
mod vis;

use proc_macro::TokenStream;

/// Makes the type of an inherent `impl` block a phyx process. See the
/// `phyx` crate's documentation.
#[proc_macro_attribute]
pub fn process(args: TokenStream, input: TokenStream) -> TokenStream {
    expand::process(args.into(), input.into()).into()
}

/// Makes the type of an inherent `impl` block a supervisor of the children
/// its `#[child]` methods build. See the `phyx` crate's documentation.
#[proc_macro_attribute]
pub fn supervisor(args: TokenStream, input: TokenStream) -> TokenStream {
    expand::supervisor(args.into(), input.into()).into()
}

/// Marks a method of a `#[supervisor]` impl that builds a child.
#[proc_macro_attribute]
pub fn child(_args: TokenStream, input: TokenStream) -> TokenStream {
    misplaced("child", input, "#[supervisor]")
}

/// A circuit breaker on a `#[public]` method of a `#[process]` impl.
#[proc_macro_attribute]
pub fn circuit_breaker(_args: TokenStream, input: TokenStream) -> TokenStream {
    misplaced("circuit_breaker", input, "#[process]")
}

/// A rate limit on a `#[public]` method of a `#[process]` impl.
#[proc_macro_attribute]
pub fn rate_limit(_args: TokenStream, input: TokenStream) -> TokenStream {
    misplaced("rate_limit", input, "#[process]")
}

/// The undo of a `#[public]` method of a `#[process]` impl, for sagas.
#[proc_macro_attribute]
pub fn compensate(_args: TokenStream, input: TokenStream) -> TokenStream {
    misplaced("compensate", input, "#[process]")
}

/// Marks a method of a `#[process]` impl as reachable through the handle.
#[proc_macro_attribute]
pub fn public(_args: TokenStream, input: TokenStream) -> TokenStream {
    misplaced("public", input, "#[process]")
}

/// Marks the start hook of a `#[process]` impl.
#[proc_macro_attribute]
pub fn on_start(_args: TokenStream, input: TokenStream) -> TokenStream {
    misplaced("on_start", input, "#[process]")
}

/// Marks the stop hook of a `#[process]` impl.
#[proc_macro_attribute]
pub fn on_stop(_args: TokenStream, input: TokenStream) -> TokenStream {
    misplaced("on_stop", input, "#[process]")
}

/// `#[process]` and `#[supervisor]` consume their markers; one that reaches
/// the compiler on its own was written outside such an impl.
fn misplaced(marker: &str, input: TokenStream, owner: &str) -> TokenStream {
    let message =
        format!("`#[{marker}]` only works on a method inside a `{owner}` impl block; add `{owner}` to the impl");
    let error = syn::Error::new(proc_macro2::Span::call_site(), message).to_compile_error();
    let input: proc_macro2::TokenStream = input.into();
    quote::quote!(#error #input).into()
}
