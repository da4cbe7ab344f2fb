//! `#[compensate(release)]`: the name of the method that undoes this one.
//! That it names a `#[public]` method able to undo it is a rule (see
//! `check/compensate.rs`).

use syn::{Attribute, Ident};

use crate::errors::Errors;

/// Parses `#[compensate(undo)]` to `undo`.
pub(super) fn parse(attr: &Attribute, errors: &mut Errors) -> Option<Ident> {
    let expected = "`#[compensate(...)]` takes the name of the `#[public]` method that undoes this one, e.g. `#[compensate(release)]`";
    let syn::Meta::List(list) = &attr.meta else {
        errors.spanned(attr, expected);
        return None;
    };
    match syn::parse2::<Ident>(list.tokens.clone()) {
        Ok(undo) => Some(undo),
        Err(_) if list.tokens.is_empty() => {
            errors.spanned(attr, expected);
            None
        }
        Err(_) => {
            errors.spanned(&list.tokens, expected);
            None
        }
    }
}
