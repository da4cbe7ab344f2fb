//! `#[idempotent(key = id, window = "10m")]`: the dispatch arm admits the
//! call against the method's table before the handler runs, and a
//! `#[process(journal)]` loads the table's records when it recovers.
//!
//! ```text
//! In:  #[public] #[idempotent(key = id, window = "10m")] fn pay(&mut self, id: u64) -> Receipt
//! Out: PayMsg { id, __phyx_reply } => {
//!          let id = ..;
//!          match idempotent::<u64, Receipt, _>(ctx, IdempotentSpec { .. }, &id, __phyx_reply) {
//!              Admit::Answered => Ok(()),
//!              Admit::Run(__phyx_first, __phyx_reply) => handle_idempotent(__phyx_first, __phyx_reply, ..).await,
//!          }
//!      }
//! ```
//!
//! The key's and the reply's types are spelled checked, as `sendable`
//! spells arguments: a key that is not `Hash + Eq + Clone`, a reply that
//! is not `Clone` (or, in a journaled process, either not serde) is one
//! error, on the user's type, in the words of phyx's helper trait.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::{Ident, Type};

use super::Cx;
use super::runtime::{duration, private};
use super::sendable::{Crossing, checked, ends, names_param, respanned};
use crate::model::{Handler, Idempotent, Methods};

/// How a dispatch arm runs its handler.
pub(super) enum Run {
    /// `handle_and_reply(__phyx_reply, ..)`; for an idempotent method,
    /// the same through `handle_idempotent`.
    Reply(TokenStream),
    /// The statements that hand `__phyx_reply` to a `Reply` and run a
    /// handler that replies later.
    Later(TokenStream),
}

/// The body of `handler`'s dispatch arm after its arguments are opened:
/// `run` as it is, or behind the method's table.
pub(super) fn arm(cx: &Cx<'_>, methods: &Methods, handler: &Handler, run: Run) -> TokenStream {
    let private = private(&cx.krate);
    let Some((slot, idempotent)) = methods
        .idempotent()
        .position(|(idempotent, _)| idempotent.ident == handler.ident)
        .zip(handler.idempotent.as_ref())
    else {
        return match run {
            Run::Reply(future) => quote!(#private::handle_and_reply(__phyx_reply, #future).await),
            Run::Later(statements) => statements,
        };
    };
    let params = cx.generic_params();
    let key_ty = key(cx, idempotent, &params, None);
    let reply_ty = reply(cx, handler, &params, None);
    let spec = spec(cx, methods, handler, idempotent, slot);
    let key = &idempotent.options.key;
    let run = match run {
        Run::Reply(future) => {
            quote!(#private::handle_idempotent(__phyx_first, __phyx_reply, #future).await)
        }
        Run::Later(statements) => quote! {
            let __phyx_reply = #private::idempotent_later(__phyx_ctx, __phyx_first, __phyx_reply);
            #statements
        },
    };
    quote! {
        match #private::idempotent::<#key_ty, #reply_ty, _>(__phyx_ctx, #spec, &#key, __phyx_reply) {
            #private::Admit::Answered => #private::Ok(()),
            #private::Admit::Run(__phyx_first, __phyx_reply) => { #run }
        }
    }
}

/// For a `#[process(journal)]`: the loading of each idempotent method's
/// records, after its events are recovered.
pub(super) fn recoveries(cx: &Cx<'_>, methods: &Methods) -> Vec<TokenStream> {
    let private = private(&cx.krate);
    let params = cx.generic_params();
    let recorded = Ident::new("Recorded", proc_macro2::Span::call_site());
    methods
        .idempotent()
        .enumerate()
        .map(|(slot, (handler, idempotent))| {
            let key_ty = key(cx, idempotent, &params, Some(&recorded));
            let reply_ty = reply(cx, handler, &params, Some(&recorded));
            let spec = spec(cx, methods, handler, idempotent, slot);
            quote!(#private::recover_idempotent::<#key_ty, #reply_ty, Self>(__phyx_ctx, #spec).await?;)
        })
        .collect()
}

/// `IdempotentSpec { .. }` of `handler`, the `slot`-th idempotent method.
fn spec(cx: &Cx<'_>, methods: &Methods, handler: &Handler, idempotent: &Idempotent, slot: usize) -> TokenStream {
    let private = private(&cx.krate);
    let method = handler.ident.to_string();
    let of = methods.idempotent().count();
    let window = duration(&cx.krate, idempotent.options.window);
    let capacity = idempotent.options.capacity.map_or_else(
        || quote!(#private::None),
        |capacity| {
            let capacity = capacity as usize;
            quote!(#private::Some(#capacity))
        },
    );
    quote!(#private::IdempotentSpec { method: #method, slot: #slot, of: #of, window: #window, capacity: #capacity })
}

/// The key's type, checked to be `Send` (as every argument is), then a
/// key, then `also` (serde, for a journal).
fn key(cx: &Cx<'_>, idempotent: &Idempotent, params: &[&Ident], also: Option<&Ident>) -> TokenStream {
    let ty = &idempotent.key_ty;
    let sendable = checked(&cx.krate, ty, Crossing::Argument, params);
    let keyed = bounded(
        cx,
        ty,
        sendable,
        &Ident::new("IdempotentKey", proc_macro2::Span::call_site()),
        params,
    );
    match also {
        Some(also) => bounded(cx, ty, keyed, also, params),
        None => keyed,
    }
}

/// The reply's type, checked as [`key`] checks the key's.
fn reply(cx: &Cx<'_>, handler: &Handler, params: &[&Ident], also: Option<&Ident>) -> TokenStream {
    let ty = &handler.output;
    let sendable = checked(&cx.krate, ty, Crossing::Reply, params);
    let shared = bounded(
        cx,
        ty,
        sendable,
        &Ident::new("IdempotentReply", proc_macro2::Span::call_site()),
        params,
    );
    match also {
        Some(also) => bounded(cx, ty, shared, also, params),
        None => shared,
    }
}

/// `spelled` (the spelling of `ty` so far) checked to implement phyx's
/// helper trait `check` where `ty` is written; a type naming a type
/// parameter stays as written, for the runtime's bounds to report.
fn bounded(cx: &Cx<'_>, ty: &Type, spelled: TokenStream, check: &Ident, params: &[&Ident]) -> TokenStream {
    if names_param(ty, params) {
        return quote!(#ty);
    }
    let (first, last) = ends(ty);
    let krate = respanned(&cx.krate, first);
    let item = quote_spanned!(last=> Item);
    quote_spanned!(first=> <[#spelled; <#spelled as #krate::__private::#check>::OK] as ::core::iter::IntoIterator>::#item)
}
