//! `#[process]`'s output: the message enum, the handle and the `Process`
//! impl, placed where the widest `#[public]` method can name them.

use proc_macro2::TokenStream;
use quote::quote;

use super::{Cx, dispatch, handle, message};
use crate::attr::ProcessOptions;
use crate::model::Methods;

pub(super) fn expand(cx: &Cx<'_>, options: &ProcessOptions, methods: &Methods) -> TokenStream {
    let message = message::expand(cx, methods, options.remote, options.durable.is_some());
    let handle = handle::expand(cx, methods);
    let dispatch = dispatch::expand(cx, methods, options);
    let (message_doc, handle_doc) = (message::doc(cx), handle::doc(cx));
    cx.place(
        Some(&message_doc),
        &handle_doc,
        quote! {
            #message
            #handle
            #dispatch
        },
    )
}
