//! What a handle method decides before sending: `#[validate]` runs the
//! validator on the arguments, `#[cache]` looks the call up in the
//! process's cache. Both run at the caller, on the arguments by
//! reference: the validator before they move into the message, the cache
//! lookup when an ask of the call is awaited.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::Cx;
use super::runtime::{duration, private};
use super::sendable::{Crossing, checked_also, respanned};
use crate::model::{Handler, Methods};

/// The statements before the call is made, and the builder calls after.
pub(super) struct Decided {
    pub(super) before: TokenStream,
    pub(super) after: TokenStream,
}

pub(super) fn expand(cx: &Cx<'_>, methods: &Methods, handler: &Handler) -> Decided {
    let (mut before, mut after) = (TokenStream::new(), TokenStream::new());
    if let Some(path) = &handler.validate {
        let fields = handler.fields().map(|(field, _)| field);
        let krate = respanned(&cx.krate, path.span());
        let span = path.span();
        let path = with_self(path, &cx.target.self_ty);
        // Called as written, so that a parameter may be what its argument
        // derefs to (`&str` for a `String`); spanned on the path, where
        // rustc reports parameters that do not fit, and `Verdict` a
        // return type that does not.
        // The arguments at the path too, or a mismatch would underline
        // everything from the path to the parameter.
        let fields = fields.map(|field| {
            let mut field = field.clone();
            field.set_span(span);
            quote_spanned!(span=> &#field)
        });
        before.extend(quote_spanned! {span=>
            let __phyx_refusal = #krate::__private::Verdict::refusal(#path(#(#fields),*));
        });
        after.extend(quote!(.__validated(__phyx_refusal)));
    }
    if let (Some(cache), Some(index)) = (&handler.cache, methods.cache_index(handler)) {
        let krate = &cx.krate;
        let private = private(krate);
        let params = cx.generic_params();
        let (fields, types): (Vec<_>, Vec<_>) = handler
            .fields()
            .map(|(field, ty)| {
                (
                    field,
                    checked_also(krate, ty, Crossing::Argument, "CacheArgument", &params),
                )
            })
            .unzip();
        let reply = checked_also(krate, &handler.output, Crossing::Reply, "CacheReply", &params);
        let ttl = duration(krate, cache.ttl);
        let capacity = cache.capacity as usize;
        // Asked of the type, not its spelling, so that an alias of
        // `Result` counts; `errors` on one that is not is reported on
        // `errors`.
        let keep = match cache.errors {
            Some(span) => {
                let reply_span = handler.output.span();
                let output = &handler.output;
                let bound = quote_spanned!(reply_span=> <#output as #private::CachedResult>);
                quote_spanned!(span=> #bound::keep_errors())
            }
            None => quote! {{
                #[allow(unused_imports)]
                use #private::{KeepEvery as _, KeepOk as _};
                (&#private::Probe::<#reply>::new()).keep_rule()
            }},
        };
        let message = &cx.message;
        let (_, ty_generics, _) = cx.generics.split_for_impl();
        let variant = &handler.variant;
        // Looked up when the call is awaited, not when it is made: a tell
        // of a cached method is always sent, and pays nothing for it.
        after.extend(quote! {
            .__cached(|__phyx_addr: &#private::Addr<#message #ty_generics>, __phyx_message: &#message #ty_generics| {
                match __phyx_message {
                    #message::#variant { #(#fields,)* .. } => {
                        let __phyx_key: (#(&#types,)*) = (#(#private::Sent::get(#fields),)*);
                        #private::cache_lookup::<_, _, #reply>(
                            __phyx_addr,
                            #index,
                            #private::CacheSpec { ttl: #ttl, capacity: #capacity },
                            &__phyx_key,
                            #keep,
                        )
                    }
                    #[allow(unreachable_patterns)]
                    _ => #private::None,
                }
            })
        });
    }
    Decided { before, after }
}

/// `Self::check` as the process's `<Counter>::check`: in the handle's
/// impl, `Self` is the handle.
fn with_self(path: &syn::Path, self_ty: &syn::Type) -> TokenStream {
    let mut segments = path.segments.iter();
    match segments.next() {
        Some(first) if first.ident == "Self" && path.leading_colon.is_none() && path.segments.len() > 1 => {
            let rest = segments.collect::<Vec<_>>();
            quote_spanned!(first.span()=> <#self_ty>::#(#rest)::*)
        }
        _ => quote!(#path),
    }
}

/// The statement that empties the caches a call of `handler` makes stale,
/// before it runs; nothing for a method that invalidates none.
pub(super) fn invalidate(methods: &Methods, handler: &Handler) -> Option<TokenStream> {
    let cached = methods.invalidated_by(handler);
    (!cached.is_empty()).then(|| quote!(__phyx_ctx.__invalidate(&[#(#cached),*]);))
}

/// `const __CACHES`: how many of the process's methods are cached.
pub(super) fn count(methods: &Methods) -> Option<TokenStream> {
    let count = methods.cached().count();
    (count > 0).then(|| quote!(const __CACHES: usize = #count;))
}
