//! Turns a checked `#[process]` impl into the message enum, the handle
//! and the `Process` impl.

mod dispatch;
mod handle;
mod message;
mod options;
mod sendable;
mod supervisor;

pub(crate) use supervisor::supervisor;

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{GenericParam, Generics, Ident, ItemImpl, Path, Visibility};

use crate::ast::take_markers;
use crate::attr::process_options;
use crate::case::suffixed;
use crate::compensate;
use crate::errors::Errors;
use crate::valid::{self, Methods, Target};
use crate::vis;

/// Everything the generators share.
pub(crate) struct Cx<'a> {
    krate: Path,
    target: Target,
    methods: Methods,
    /// The impl's generics, with `Send + 'static` required of every type
    /// parameter (a process moves between threads and lives on its own).
    generics: Generics,
    message: Ident,
    handle: Ident,
    /// How the enum and the handle are declared: `pub` (see [`vis`]).
    vis: Visibility,
    /// How far they can be named: as far as the widest method.
    reach: Visibility,
    item: &'a ItemImpl,
}

pub(crate) fn process(args: TokenStream, input: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let options = process_options(args, &mut errors);
    let Ok(mut item) = syn::parse2::<ItemImpl>(input.clone()) else {
        errors.push(not_an_impl(&input));
        let errors = errors.into_compile_errors();
        return quote!(#errors #input);
    };
    let marked = take_markers(&mut item, &mut errors);
    let Some(target) = valid::target(&item, &mut errors) else {
        let errors = errors.into_compile_errors();
        return quote!(#errors #item);
    };
    let mut methods = valid::methods(&marked, &target, &mut errors);
    compensate::link(&mut methods.handlers, &marked, &item, &mut errors);
    let reach = vis::widest(methods.handlers.iter().map(|handler| &handler.vis));
    let cx = Cx {
        krate: options.krate.clone().unwrap_or_else(|| syn::parse_quote!(::phyx)),
        message: suffixed(&target.ident, "Msg"),
        handle: suffixed(&target.ident, "Ref"),
        vis: vis::declared(&reach),
        reach,
        generics: with_process_bounds(&item.generics),
        target,
        methods,
        item: &item,
    };
    let message = message::expand(&cx);
    let handle = handle::expand(&cx);
    let dispatch = dispatch::expand(&cx, &options);
    let (message_doc, handle_doc) = (message::doc(&cx), handle::doc(&cx));
    let generated = vis::place(
        &vis::Names {
            process: &cx.target.ident,
            message: &cx.message,
            handle: &cx.handle,
            reach: &cx.reach,
            generics: &cx.generics,
            message_doc: Some(&message_doc),
            handle_doc: &handle_doc,
        },
        quote! {
            #message
            #handle
            #dispatch
        },
    );
    let errors = errors.into_compile_errors();
    quote! {
        #item
        #generated
        #errors
    }
}

fn not_an_impl(input: &TokenStream) -> syn::Error {
    let definition = |keyword: &dyn quote::ToTokens, ident: &Ident| {
        syn::Error::new_spanned(
            quote!(#keyword #ident),
            format!(
                "`#[process]` goes on the impl block of `{ident}`, not on its definition: write `#[process] impl {ident} {{ ... }}`"
            ),
        )
    };
    match syn::parse2::<syn::Item>(input.clone()) {
        Ok(syn::Item::Struct(item)) => definition(&item.struct_token, &item.ident),
        Ok(syn::Item::Enum(item)) => definition(&item.enum_token, &item.ident),
        Ok(syn::Item::Fn(item)) => syn::Error::new_spanned(
            {
                let (fn_token, ident) = (&item.sig.fn_token, &item.sig.ident);
                quote!(#fn_token #ident)
            },
            "`#[process]` goes on the inherent impl block of a type (`#[process] impl Counter { ... }`), not on a function",
        ),
        _ => syn::Error::new(
            Span::call_site(),
            "`#[process]` goes on the inherent impl block of the process type: `#[process] impl Counter { ... }`",
        ),
    }
}

fn with_process_bounds(generics: &Generics) -> Generics {
    let mut generics = generics.clone();
    for param in &mut generics.params {
        if let GenericParam::Type(ty) = param {
            ty.bounds.push(syn::parse_quote!(::core::marker::Send));
            ty.bounds.push(syn::parse_quote!('static));
        }
    }
    generics
}

impl Cx<'_> {
    /// The impl's type parameters, for `PhantomData`.
    fn type_params(&self) -> Vec<&Ident> {
        self.item
            .generics
            .params
            .iter()
            .filter_map(|param| match param {
                GenericParam::Type(ty) => Some(&ty.ident),
                _ => None,
            })
            .collect()
    }

    /// The impl's type and const parameters, which a const operation
    /// cannot name.
    fn generic_params(&self) -> Vec<&Ident> {
        self.item
            .generics
            .params
            .iter()
            .filter_map(|param| match param {
                GenericParam::Type(ty) => Some(&ty.ident),
                GenericParam::Const(constant) => Some(&constant.ident),
                GenericParam::Lifetime(_) => None,
            })
            .collect()
    }
}
