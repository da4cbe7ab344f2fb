//! `#[validate(with = check_order)]`: the function that checks a method's
//! arguments at the caller. That it takes them is a type check, left to
//! rustc with phyx's `Validator` trait's words.

use syn::{Attribute, Expr, Path};

use super::option::{Slot, args_of, parse_each, unknown_option, value};
use crate::errors::Errors;

/// Parses `#[validate(with = path)]` to `path`.
pub(super) fn parse(attr: &Attribute, errors: &mut Errors) -> Option<Path> {
    let mut with = Slot::new("with");
    let before = errors.count();
    parse_each(args_of(attr), errors, |meta, name, span, errors| {
        match name {
            "with" => {
                let path = value(
                    meta,
                    errors,
                    "the path of a function, e.g. `with = check_order` or `with = Self::check_order`",
                    |expr| match expr {
                        Expr::Path(path) if path.qself.is_none() => Some(path.path.clone()),
                        _ => None,
                    },
                )?;
                with.set(path, span, errors);
            }
            _ => unknown_option(meta, name, "validate", (&["with"], "`with`"), errors)?,
        }
        Ok(())
    });
    let path = with.get();
    if path.is_none() && errors.count() == before {
        errors.spanned(
            attr,
            "a validator is a function: write `#[validate(with = check_order)]`, where `fn check_order(order: &Order) -> Result<(), String>`",
        );
    }
    path.filter(|_| errors.count() == before)
}
