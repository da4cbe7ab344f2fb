//! How generated code reaches the runtime, written once for processes and
//! supervisors: `::phyx::__private` paths, durations, and the signatures
//! of `Process`'s hidden methods (which must match the trait's exactly).

use std::time::Duration;

use proc_macro2::TokenStream;
use quote::quote;
use syn::Path;

/// `#krate::__private`: everything generated code calls that is not
/// public API.
pub(super) fn private(krate: &Path) -> TokenStream {
    quote!(#krate::__private)
}

/// A `Duration` constant, from a duration option.
pub(super) fn duration(krate: &Path, duration: Duration) -> TokenStream {
    let (secs, nanos) = (duration.as_secs(), duration.subsec_nanos());
    quote!(#krate::__private::Duration::new(#secs, #nanos))
}

/// `fn __handle`: runs one message; `body` is the `async` block's.
pub(super) fn handle_fn(krate: &Path, body: TokenStream) -> TokenStream {
    let private = private(krate);
    quote! {
        fn __handle<'__phyx>(
            &'__phyx mut self,
            __phyx_ctx: &'__phyx mut #krate::Ctx<Self>,
            __phyx_message: Self::Message,
        ) -> impl #private::Future<Output = #private::Result<(), #private::Panic>> + #private::Send + '__phyx {
            async move {
                #body
            }
        }
    }
}

/// `fn __on_start`: `body` ends in the `Result` of starting.
pub(super) fn on_start_fn(krate: &Path, body: TokenStream) -> TokenStream {
    let private = private(krate);
    quote! {
        fn __on_start<'__phyx>(
            &'__phyx mut self,
            __phyx_ctx: &'__phyx mut #krate::Ctx<Self>,
        ) -> impl #private::Future<Output = #private::Result<(), #private::String>> + #private::Send + '__phyx {
            async move {
                #body
            }
        }
    }
}

/// `fn __on_stop`, given `__phyx_reason`.
pub(super) fn on_stop_fn(krate: &Path, body: TokenStream) -> TokenStream {
    let private = private(krate);
    quote! {
        fn __on_stop<'__phyx>(
            &'__phyx mut self,
            __phyx_ctx: &'__phyx mut #krate::Ctx<Self>,
            __phyx_reason: #krate::StopReason,
        ) -> impl #private::Future<Output = ()> + #private::Send + '__phyx {
            async move { #body }
        }
    }
}
