//! Turns a checked `#[process]` impl into the message enum, the handle
//! and the `Process` impl.

mod dispatch;
mod handle;
mod message;
mod options;
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
    vis: Visibility,
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
    let cx = Cx {
        krate: options.krate.clone().unwrap_or_else(|| syn::parse_quote!(::phyx)),
        message: suffixed(&target.ident, "Msg"),
        handle: suffixed(&target.ident, "Ref"),
        vis: widest_visibility(&methods),
        generics: with_process_bounds(&item.generics),
        target,
        methods,
        item: &item,
    };
    let message = message::expand(&cx);
    let handle = handle::expand(&cx);
    let dispatch = dispatch::expand(&cx, &options);
    let errors = errors.into_compile_errors();
    quote! {
        #item
        #message
        #handle
        #dispatch
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

/// The handle and messages are as visible as the most visible method.
fn widest_visibility(methods: &Methods) -> Visibility {
    let rank = |vis: &Visibility| match vis {
        Visibility::Public(_) => 3,
        Visibility::Restricted(restricted) if restricted.path.is_ident("crate") => 2,
        Visibility::Restricted(_) => 1,
        Visibility::Inherited => 0,
    };
    methods
        .handlers
        .iter()
        .map(|handler| &handler.vis)
        .max_by_key(|vis| rank(vis))
        .cloned()
        .unwrap_or(Visibility::Inherited)
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
}
