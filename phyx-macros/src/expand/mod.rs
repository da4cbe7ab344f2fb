//! The one pipeline of `#[process]` and `#[supervisor]`, and the
//! generators it ends in.
//!
//! ```text
//! #[process(mailbox = 8)] impl Counter { #[public] fn get(&self) -> u64 { .. } }
//!   attr:   ProcessOptions { mailbox: Some(8), .. }
//!   model:  the impl without its markers; `get` marked `#[public]`
//!   check:  Model { target: Counter, body: Process { methods: [get -> u64] } }
//!   expand: impl Counter { .. } + CounterMsg + CounterRef + impl Process for Counter
//! ```

mod decided;
mod dispatch;
mod handle;
mod idempotent;
mod journal;
mod message;
mod options;
mod process;
mod remote;
mod runtime;
mod sendable;
mod supervisor;
mod vis;

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{GenericParam, Generics, Ident, ItemImpl, Path, Visibility};

use crate::attr::{Kind, Options};
use crate::case::suffixed;
use crate::check;
use crate::errors::Errors;
use crate::model::{self, Body, Model, Target};

/// Expands `#[kind(args)] input`: the user's impl (phyx's attributes taken
/// off), what it generates, and every error, all at once. On an error the
/// generated types are still emitted (as far as the model goes), so that
/// one mistake does not cascade into "cannot find type `CounterRef`".
pub(crate) fn attribute(kind: Kind, args: TokenStream, input: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let options = Options::parse(kind, args, &mut errors);
    let Ok(mut item) = syn::parse2::<ItemImpl>(input.clone()) else {
        errors.push(check::not_an_impl(kind, &input));
        let errors = errors.into_compile_errors();
        return quote!(#errors #input);
    };
    let taken = model::take_markers(&mut item);
    let Some(model) = check::check(options, &item, model::marked(&item, taken), &mut errors) else {
        let errors = errors.into_compile_errors();
        return quote!(#errors #item);
    };
    let generated = match &model.body {
        Body::Process { options, methods } => {
            let cx = Cx::new(&model, methods.handlers.iter().map(|handler| &handler.vis));
            process::expand(&cx, options, methods)
        }
        Body::Supervisor { options, children } => {
            // A handle is nameable where its methods can be called; those
            // of `Supervisor` (dynamic children) are public, so one without
            // `#[child]`ren is declared `pub`, in place.
            let public: syn::Visibility = syn::parse_quote!(pub);
            let visibilities: Vec<&syn::Visibility> = if children.is_empty() {
                vec![&public]
            } else {
                children.iter().map(|child| &child.vis).collect()
            };
            let cx = Cx::new(&model, visibilities);
            supervisor::expand(&cx, options, children)
        }
    };
    let errors = errors.into_compile_errors();
    quote! {
        #item
        #generated
        #errors
    }
}

/// `#[process]` and `#[supervisor]` consume their markers; one that reaches
/// the compiler on its own was written outside such an impl.
pub(crate) fn misplaced(marker: &str, input: TokenStream, owner: &str) -> TokenStream {
    let message =
        format!("`#[{marker}]` only works on a method inside a `{owner}` impl block; add `{owner}` to the impl");
    let error = syn::Error::new(Span::call_site(), message).to_compile_error();
    quote!(#error #input)
}

/// What the generators of both kinds share.
pub(crate) struct Cx<'a> {
    krate: Path,
    target: &'a Target,
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

impl<'a> Cx<'a> {
    /// `visibilities`: those of the handle's methods.
    fn new(model: &'a Model<'a>, visibilities: impl IntoIterator<Item = &'a Visibility>) -> Self {
        let reach = vis::widest(visibilities);
        Self {
            krate: model.body.krate().cloned().unwrap_or_else(|| syn::parse_quote!(::phyx)),
            target: &model.target,
            generics: with_process_bounds(&model.item.generics),
            message: suffixed(&model.target.ident, "Msg"),
            handle: suffixed(&model.target.ident, "Ref"),
            vis: vis::declared(&reach),
            reach,
            item: model.item,
        }
    }

    /// `definitions` placed where they are nameable as far as the widest
    /// method (see [`vis::place`]); `message_doc: None` hides the enum.
    fn place(&self, message_doc: Option<&str>, handle_doc: &str, definitions: TokenStream) -> TokenStream {
        vis::place(
            &vis::Names {
                process: &self.target.ident,
                message: &self.message,
                handle: &self.handle,
                reach: &self.reach,
                generics: &self.generics,
                message_doc,
                handle_doc,
            },
            definitions,
        )
    }

    /// The impl's type parameters, for `PhantomData`.
    fn type_params(&self) -> Vec<&Ident> {
        param_names(&self.item.generics, false)
    }

    /// The impl's type and const parameters, which a const operation
    /// cannot name.
    fn generic_params(&self) -> Vec<&Ident> {
        param_names(&self.item.generics, true)
    }
}

/// The names of the type parameters of `generics`, and of its const
/// parameters too if `consts` (lifetimes: a process has none).
fn param_names(generics: &Generics, consts: bool) -> Vec<&Ident> {
    generics
        .params
        .iter()
        .filter_map(|param| match param {
            GenericParam::Type(ty) => Some(&ty.ident),
            GenericParam::Const(constant) if consts => Some(&constant.ident),
            GenericParam::Const(_) | GenericParam::Lifetime(_) => None,
        })
        .collect()
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
