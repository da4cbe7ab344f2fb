//! What an impl attribute goes on: the inherent impl of a named, owned
//! type (and, for a supervisor, one without generics).

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{Ident, ItemImpl, Type};

use crate::attr::Kind;
use crate::errors::Errors;
use crate::model::Target;

/// The error for input that is not an impl block, pointing at what it is
/// where that helps.
pub(crate) fn not_an_impl(kind: Kind, input: &TokenStream) -> syn::Error {
    if let Kind::Supervisor = kind {
        return syn::Error::new(
            Span::call_site(),
            "`#[supervisor]` goes on the inherent impl block of the supervisor type: `#[supervisor] impl Shop { ... }`",
        );
    }
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

/// The process type of an inherent impl without lifetimes.
pub(super) fn target(item: &ItemImpl, errors: &mut Errors) -> Option<Target> {
    if let Some((_, path, _)) = &item.trait_ {
        errors.spanned(
            path,
            "`#[process]` goes on the inherent impl of the process type (`impl Counter { ... }`), not on a trait impl",
        );
        return None;
    }
    let lifetimes: Vec<_> = item.generics.lifetimes().collect();
    for lifetime in &lifetimes {
        errors.spanned(
            lifetime,
            "a process owns its state and cannot borrow; remove the lifetime parameter and store owned data (`String`, `Arc<T>`)",
        );
    }
    if !lifetimes.is_empty() {
        return None;
    }
    let last = match &*item.self_ty {
        Type::Path(path) if path.qself.is_none() => path.path.segments.last(),
        _ => None,
    };
    let Some(last) = last else {
        errors.spanned(
            &item.self_ty,
            "`#[process]` goes on the impl of a named struct or enum, e.g. `impl Counter { ... }`",
        );
        return None;
    };
    Some(Target {
        ident: last.ident.clone(),
        self_ty: (*item.self_ty).clone(),
    })
}

/// A supervisor's children are built from its fields by name, with no
/// type parameters to fill in.
pub(super) fn not_generic(item: &ItemImpl, errors: &mut Errors) -> Option<()> {
    if item.generics.params.is_empty() {
        return Some(());
    }
    errors.spanned(
        &item.generics,
        "a `#[supervisor]` cannot be generic; give it concrete fields instead",
    );
    None
}
