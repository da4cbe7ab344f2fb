//! The handle: `CounterRef`, one method per `#[public]` method.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

use super::sendable::{Crossing, respanned, sent};
use super::{Cx, decided};
use crate::model::{Handler, Methods, UndoArgs};

pub(super) fn doc(cx: &Cx<'_>) -> String {
    let krate = &cx.krate;
    format!(
        "A handle to a `{process}` process: one method per `#[public]` method, each returning a \
         [`Call`]({krate_doc}::Call) to await (ask) or send (tell). Cheap to clone; stays valid \
         across restarts. Lifecycle operations are on [`Handle`]({krate_doc}::Handle). Generated \
         by `#[process]`.",
        process = cx.target.ident,
        krate_doc = quote!(#krate).to_string().replace(' ', ""),
    )
}

pub(super) fn expand(cx: &Cx<'_>, methods: &Methods) -> TokenStream {
    let Cx {
        krate, message, handle, ..
    } = cx;
    let (impl_generics, ty_generics, where_clause) = cx.generics.split_for_impl();
    let message_ty = quote!(#message #ty_generics);
    let doc = doc(cx);

    let params = cx.generic_params();
    let handle_ty = quote!(#handle #ty_generics);
    let handle_methods = methods.handlers.iter().map(|handler| {
        let ident = &handler.ident;
        let variant = &handler.variant;
        let docs = &handler.docs;
        let method_vis = &handler.vis;
        let output = &handler.output;
        let args = handler.fields().map(|(field, ty)| quote!(#field: #ty));
        let fields = handler.fields().map(|(field, ty)| {
            let sent = sent(krate, ty, Crossing::Argument, &params, quote!(#field));
            quote!(#field: #sent)
        });
        let envelope = handler
            .envelope_field()
            .map(|field| quote!(#field: #krate::__private::None));
        // Filled with the caller's trace as the call goes (see `Call`).
        let trace = handler
            .trace_field()
            .map(|field| quote!(#field: #krate::__private::None,));
        let guarded = methods.guard_index(handler).map(|index| guarded(handler, index));
        let compensated = compensated(krate, handler);
        let decided::Decided { before, after } = decided::expand(cx, methods, handler);
        let key = handler
            .rate
            .as_ref()
            .and_then(|rate| rate.key.as_ref())
            .map(|key| quote_spanned!(key.span()=> let __phyx_key = #krate::__private::key_of(&#key);));
        quote! {
            #(#docs)*
            #method_vis fn #ident(&self, #(#args),*) -> #krate::Call<#output, #handle_ty> {
                #key
                #before
                let __phyx_call = #krate::Call::<#output, #handle_ty>::__new(
                    #krate::__private::Clone::clone(&self.__phyx_addr),
                    #message::#variant { #(#fields,)* __phyx_reply: #krate::__private::None, #trace #envelope },
                    |__phyx_message: &mut #message_ty, __phyx_reply_to| match __phyx_message {
                        #message::#variant { __phyx_reply, .. } => *__phyx_reply = __phyx_reply_to,
                        #[allow(unreachable_patterns)]
                        _ => {}
                    },
                );
                __phyx_call
                #guarded
                #compensated
                #after
            }
        }
    });

    let handle_type = handle_type(cx, &message_ty, &doc);
    quote! {
        #handle_type

        #[allow(clippy::needless_lifetimes, clippy::too_many_arguments)]
        impl #impl_generics #handle #ty_generics #where_clause {
            #(#handle_methods)*
        }
    }
}

/// The handle struct and its trait impls: `Handle`, `Clone`, `Debug`,
/// `PartialEq`, `Eq`, `Hash`. Shared by processes and supervisors.
pub(super) fn handle_type(cx: &Cx<'_>, message_ty: &TokenStream, doc: &str) -> TokenStream {
    let Cx { krate, handle, vis, .. } = cx;
    let (impl_generics, ty_generics, where_clause) = cx.generics.split_for_impl();
    quote! {
        #[doc = #doc]
        // Declared `pub` whatever the process's visibility (see `vis`).
        #[allow(unreachable_pub)]
        #vis struct #handle #impl_generics #where_clause {
            __phyx_addr: #krate::__private::Addr<#message_ty>,
        }

        #[automatically_derived]
        impl #impl_generics #krate::Handle for #handle #ty_generics #where_clause {
            type Message = #message_ty;

            fn __addr(&self) -> &#krate::__private::Addr<#message_ty> {
                &self.__phyx_addr
            }

            fn __from_addr(addr: #krate::__private::Addr<#message_ty>) -> Self {
                Self { __phyx_addr: addr }
            }
        }

        #[automatically_derived]
        impl #impl_generics #krate::__private::Clone for #handle #ty_generics #where_clause {
            fn clone(&self) -> Self {
                Self { __phyx_addr: #krate::__private::Clone::clone(&self.__phyx_addr) }
            }
        }

        #[automatically_derived]
        impl #impl_generics ::core::fmt::Debug for #handle #ty_generics #where_clause {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                ::core::fmt::Debug::fmt(&self.__phyx_addr, f)
            }
        }

        #[automatically_derived]
        impl #impl_generics ::core::cmp::PartialEq for #handle #ty_generics #where_clause {
            fn eq(&self, other: &Self) -> bool {
                self.__phyx_addr == other.__phyx_addr
            }
        }

        #[automatically_derived]
        impl #impl_generics ::core::cmp::Eq for #handle #ty_generics #where_clause {}

        #[automatically_derived]
        impl #impl_generics ::core::hash::Hash for #handle #ty_generics #where_clause {
            fn hash<__PhyxH: ::core::hash::Hasher>(&self, state: &mut __PhyxH) {
                ::core::hash::Hash::hash(&self.__phyx_addr, state);
            }
        }
    }
}

/// `.__guarded(index, key, is_ok)`: a reply is a success unless it is an
/// `Err`.
fn guarded(handler: &Handler, index: usize) -> TokenStream {
    let output = &handler.output;
    let key = if handler.rate.as_ref().is_some_and(|rate| rate.key.is_some()) {
        quote!(__phyx_key)
    } else {
        quote!(0)
    };
    let is_ok = if handler.returns_result() {
        quote!(|__phyx_reply: &#output| __phyx_reply.is_ok())
    } else {
        quote!(|_: &#output| true)
    };
    quote!(.__guarded(#index, #key, #is_ok))
}

/// `.__compensated(...)`: how a saga undoes a successful call, for a method
/// with `#[compensate(undo)]`. Spanned on `undo`, where a compiler error
/// about the undo's arguments or reply belongs.
fn compensated(krate: &syn::Path, handler: &Handler) -> Option<TokenStream> {
    let (undo, args) = (handler.compensate.as_ref()?, handler.undo?);
    let span = undo.span();
    // The crate path too, or errors about bounds would point at `#[process]`.
    let krate = respanned(krate, span);
    let clone = quote_spanned!(span=> #krate::__private::Clone::clone);
    let (key, value) = (
        quote_spanned!(span=> __phyx_key_arg),
        quote_spanned!(span=> __phyx_value_arg),
    );
    let args = match args {
        UndoArgs::Nothing => quote!(),
        UndoArgs::Key => key,
        UndoArgs::Value => value,
        UndoArgs::KeyValue => quote!(#key, #value),
    };
    Some(quote_spanned! {span=>
        .__compensated(|__phyx_addr, __phyx_reply, __phyx_key| {
            let __phyx_value = #clone(#krate::saga::SagaReply::value(__phyx_reply)?);
            let __phyx_key = #clone(__phyx_key);
            let __phyx_undo = <Self as #krate::Handle>::__from_addr(#clone(__phyx_addr));
            #krate::__private::Some(#krate::__private::Undo::__new(move || {
                let __phyx_key_arg = #clone(&__phyx_key);
                let __phyx_value_arg = #clone(&__phyx_value);
                __phyx_undo.#undo(#args)
            }))
        })
    })
}
