//! `#[process(journal)]`: the `EventSourced` impl from the `#[apply]`,
//! `#[snapshot]` and `#[restore]` methods, and the `__recover` that
//! rebuilds the state before the start hook. Both are kept only where
//! phyx's `journal` feature is on (elsewhere `journal!` is the one error).

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::runtime::private;
use super::sendable::respanned;
use super::{Cx, idempotent};
use crate::attr::ProcessOptions;
use crate::model::Methods;

/// The `EventSourced` impl, beside the `Process` impl.
pub(super) fn event_sourced(cx: &Cx<'_>, options: &ProcessOptions, methods: &Methods) -> Option<TokenStream> {
    let journal = options.journal?;
    let apply = methods.apply.as_ref()?;
    let krate = &cx.krate;
    let private = private(krate);
    let self_ty = &cx.target.self_ty;
    let (impl_generics, _, where_clause) = cx.generics.split_for_impl();
    let event = &apply.event;
    let apply_ident = &apply.ident;
    let event_arg = if apply.by_ref {
        quote!(&__phyx_event)
    } else {
        quote!(__phyx_event)
    };
    // Spanned on the types: one that is not serde's is reported there.
    let event_ty = quote_spanned!(event.span()=> type Event = #event;);
    let snapshots = methods.snapshot.as_ref().zip(methods.restore.as_ref());
    let snapshot_ty = snapshots.map_or_else(
        || {
            quote!(
                type Snapshot = ();
            )
        },
        |(snapshot, _)| {
            let ty = &snapshot.ty;
            quote_spanned!(ty.span()=> type Snapshot = #ty;)
        },
    );
    let snapshot_fns = snapshots.map(|(snapshot, restore)| {
        // Spanned on `restore`'s parameter: a type that is not what
        // `snapshot` returns is reported there.
        let argument = quote_spanned!(restore.ty.span()=> __phyx_snapshot);
        let (snapshot, restore) = (&snapshot.ident, &restore.ident);
        quote! {
            fn snapshot(&self) -> #private::Option<Self::Snapshot> {
                #private::Some(Self::#snapshot(self))
            }

            fn restore(&mut self, __phyx_snapshot: Self::Snapshot) {
                Self::#restore(self, #argument)
            }
        }
    });
    let every = options
        .snapshot_every
        .map(|(every, _)| quote!(const SNAPSHOT_EVERY: u64 = #every;));
    let journal_macro = respanned(krate, journal);
    Some(quote_spanned! {journal=>
        #journal_macro::__private::journal! {
            #[automatically_derived]
            impl #impl_generics #private::EventSourced for #self_ty #where_clause {
                #event_ty
                #snapshot_ty
                #every

                fn apply(&mut self, __phyx_event: Self::Event) {
                    Self::#apply_ident(self, #event_arg)
                }

                #snapshot_fns
            }
        }
    })
}

/// `fn __recover`, inside the `Process` impl: the events, then the
/// records of the `#[idempotent]` methods, if it has any.
pub(super) fn recover_fn(cx: &Cx<'_>, options: &ProcessOptions, methods: &Methods) -> Option<TokenStream> {
    let journal: Span = options.journal?;
    // Without a well-formed `#[apply]` there is no `EventSourced` impl to
    // recover with; its error is reported already.
    methods.apply.as_ref()?;
    let krate = &cx.krate;
    let private = private(krate);
    let journal_macro = respanned(krate, journal);
    let idempotent = idempotent::recoveries(cx, methods);
    let body = if idempotent.is_empty() {
        quote!(#private::recover::<Self>(self, __phyx_ctx))
    } else {
        quote! {
            async move {
                #private::recover::<Self>(self, __phyx_ctx).await?;
                #(#idempotent)*
                #private::Ok(())
            }
        }
    };
    Some(quote! {
        #journal_macro::__private::journal_items! {
            fn __recover<'__phyx>(
                &'__phyx mut self,
                __phyx_ctx: &'__phyx mut #krate::Ctx<Self>,
            ) -> impl #private::Future<Output = #private::Result<(), #private::String>> + #private::Send + '__phyx {
                #body
            }
        }
    })
}
