//! The pieces every option grammar is made of: a slot that catches a
//! duplicate option (serde's `Attr<T>`), the loop over `key = value`
//! options, typed values with the words for what to write instead, and the
//! unknown-option report with its "did you mean".
//!
//! Each helper records its errors and lets parsing go on, so that one
//! attribute reports all of its mistakes at once.

use std::time::Duration;

use proc_macro2::{Span, TokenStream};
use syn::meta::ParseNestedMeta;
use syn::{Expr, ExprLit, Ident, Lit, LitFloat, LitInt, LitStr, Path};

use super::duration;
use crate::errors::Errors;
use crate::spelling::closest;

/// An option that may be given once; a second time is an error. The one
/// place duplicates are caught, so that no grammar checks its keys its own
/// way.
pub(super) struct Slot<T> {
    name: &'static str,
    value: Option<T>,
}

impl<T> Slot<T> {
    pub(super) fn new(name: &'static str) -> Self {
        Self { name, value: None }
    }

    /// Keeps `value` (`None` when it did not parse: the error is already
    /// recorded); errors on the key's `span` if the option was given before.
    pub(super) fn set(&mut self, value: Option<T>, span: Span, errors: &mut Errors) {
        if self.value.is_some() {
            errors.push(syn::Error::new(
                span,
                format!("duplicate `{}` option; give it once", self.name),
            ));
        } else if value.is_some() {
            self.value = value;
        }
    }

    pub(super) fn get(self) -> Option<T> {
        self.value
    }
}

/// An option's name (empty for a path such as `a::b`, which no grammar
/// knows) and where to point at it.
pub(super) fn key_of(meta: &ParseNestedMeta<'_>) -> (String, Span) {
    let span = meta.path.get_ident().map_or_else(Span::call_site, Ident::span);
    let key = meta.path.get_ident().map(ToString::to_string).unwrap_or_default();
    (key, span)
}

/// Runs `each` on every option of an attribute's arguments with the
/// option's name and span, recording a syntax error (which ends parsing).
pub(super) fn parse_each(
    args: TokenStream,
    errors: &mut Errors,
    mut each: impl FnMut(&ParseNestedMeta<'_>, &str, Span, &mut Errors) -> syn::Result<()>,
) {
    let parser = syn::meta::parser(|meta| {
        let (key, span) = key_of(&meta);
        each(&meta, &key, span, errors)
    });
    if let Err(error) = syn::parse::Parser::parse2(parser, args) {
        errors.push(error);
    }
}

/// The arguments of `#[name(...)]`; none for a bare `#[name]`.
pub(super) fn args_of(attr: &syn::Attribute) -> TokenStream {
    match &attr.meta {
        syn::Meta::List(list) => list.tokens.clone(),
        _ => TokenStream::new(),
    }
}

/// Reports an unknown option of `#[attribute]`, suggesting the nearest
/// known one, and skips its value so that parsing goes on.
pub(super) fn unknown_option(
    meta: &ParseNestedMeta<'_>,
    key: &str,
    attribute: &str,
    (known, expected): (&[&str], &str),
    errors: &mut Errors,
) -> syn::Result<()> {
    let hint = closest(key, known)
        .map(|key| format!(" (did you mean `{key}`?)"))
        .unwrap_or_default();
    errors.spanned(
        &meta.path,
        format!("unknown `#[{attribute}]` option{hint}; expected one of {expected}"),
    );
    skip_value(meta)
}

/// Consumes `= value` or `(...)` after an unknown key, so parsing can go on.
pub(super) fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        meta.value()?.parse::<syn::Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.parse_nested_meta(|inner| skip_value(&inner))?;
    }
    Ok(())
}

/// `key = value`, parsed as any expression so that a value of the wrong
/// kind is reported with what to write, and parsing goes on.
pub(super) fn value<T>(
    meta: &ParseNestedMeta<'_>,
    errors: &mut Errors,
    expected: &str,
    pick: impl FnOnce(&Expr) -> Option<T>,
) -> syn::Result<Option<T>> {
    let expr: Expr = meta.value()?.parse()?;
    let picked = pick(&expr);
    if picked.is_none() {
        let (key, _) = key_of(meta);
        errors.spanned(&expr, format!("`{key}` takes {expected}"));
    }
    Ok(picked)
}

pub(super) fn lit_int(expr: &Expr) -> Option<LitInt> {
    match expr {
        Expr::Lit(ExprLit { lit: Lit::Int(lit), .. }) => Some(lit.clone()),
        _ => None,
    }
}

pub(super) fn lit_str(expr: &Expr) -> Option<LitStr> {
    match expr {
        Expr::Lit(ExprLit { lit: Lit::Str(lit), .. }) => Some(lit.clone()),
        _ => None,
    }
}

/// A float written as `2.0` or `2`.
pub(super) fn lit_float(expr: &Expr) -> Option<LitFloat> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Float(lit), ..
        }) => Some(lit.clone()),
        Expr::Lit(ExprLit { lit: Lit::Int(int), .. }) => {
            Some(LitFloat::new(&format!("{}.0", int.base10_digits()), int.span()))
        }
        _ => None,
    }
}

/// A bare name: `key = user_id`, `strategy = one_for_all`.
pub(super) fn ident(expr: &Expr) -> Option<Ident> {
    match expr {
        Expr::Path(path) => path.path.get_ident().cloned(),
        _ => None,
    }
}

/// `key = one_of_these`, giving the runtime's variant name.
pub(super) fn choice(
    meta: &ParseNestedMeta<'_>,
    errors: &mut Errors,
    choices: &[(&str, &str)],
) -> syn::Result<Option<Ident>> {
    let written: Vec<String> = choices.iter().map(|(written, _)| format!("`{written}`")).collect();
    let expected = format!("one of {}", written.join(", "));
    let Some(value) = value(meta, errors, &expected, ident)? else {
        return Ok(None);
    };
    match choices.iter().find(|(written, _)| value == written) {
        Some((_, variant)) => Ok(Some(Ident::new(variant, value.span()))),
        None => {
            errors.spanned(&value, format!("unknown value `{value}`; expected {expected}"));
            Ok(None)
        }
    }
}

/// `key = "250ms"`, kept if `accept` agrees.
pub(super) fn duration_value(
    meta: &ParseNestedMeta<'_>,
    errors: &mut Errors,
    accept: impl FnOnce(Duration, &LitStr, &mut Errors) -> bool,
) -> syn::Result<Option<Duration>> {
    let Some(lit) = value(
        meta,
        errors,
        "a duration string, e.g. `\"250ms\"`, `\"5s\"` or `\"2m\"`",
        lit_str,
    )?
    else {
        return Ok(None);
    };
    Ok(match duration::parse(&lit.value()) {
        Ok(duration) => accept(duration, &lit, errors).then_some(duration),
        Err(message) => {
            errors.spanned(&lit, message);
            None
        }
    })
}

/// For [`duration_value`]: any duration will do.
pub(super) fn any_duration(_: Duration, _: &LitStr, _: &mut Errors) -> bool {
    true
}

/// For [`duration_value`]: a window or a cooldown, which cannot be zero.
pub(super) fn nonzero_window(duration: Duration, lit: &LitStr, errors: &mut Errors) -> bool {
    let ok = !duration.is_zero();
    if !ok {
        errors.spanned(
            lit,
            "a restart window must be longer than zero, e.g. `within = \"30s\"`",
        );
    }
    ok
}

/// `key = n`, a count of at least one.
pub(super) fn positive(meta: &ParseNestedMeta<'_>, errors: &mut Errors, expected: &str) -> syn::Result<Option<u32>> {
    let Some(lit) = value(meta, errors, expected, lit_int)? else {
        return Ok(None);
    };
    Ok(match lit.base10_parse::<u32>() {
        Ok(0) => {
            let (key, _) = key_of(meta);
            errors.spanned(&lit, format!("`{key}` must be at least 1"));
            None
        }
        Ok(value) => Some(value),
        Err(error) => {
            errors.push(error);
            None
        }
    })
}

/// Any whole number that fits a `u32` (`max_restarts = 0` is allowed: no
/// restart at all).
pub(super) fn count(meta: &ParseNestedMeta<'_>, errors: &mut Errors, expected: &str) -> syn::Result<Option<u32>> {
    let lit = value(meta, errors, expected, lit_int)?;
    Ok(lit.and_then(|lit| errors.ok(lit.base10_parse::<u32>())))
}

/// `crate = ::my_reexport::phyx`.
pub(super) fn crate_path(meta: &ParseNestedMeta<'_>, errors: &mut Errors) -> syn::Result<Option<Path>> {
    value(
        meta,
        errors,
        "a path, e.g. `crate = ::my_reexport::phyx`",
        |expr| match expr {
            Expr::Path(path) if path.qself.is_none() => Some(path.path.clone()),
            _ => None,
        },
    )
}
