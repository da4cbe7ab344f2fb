//! `#[cache(ttl = "30s", capacity = 1000, invalidated_by = [put, remove], errors)]`.

use std::time::Duration;

use proc_macro2::Span;
use syn::{Attribute, Expr, Ident, LitStr};

use super::option::{Slot, args_of, duration_value, ident, parse_each, positive, unknown_option, value};
use crate::errors::Errors;

/// How many replies a cache keeps when `capacity` is not written.
const DEFAULT_CAPACITY: u32 = 1024;

/// `#[cache(...)]`, defaults filled in.
pub(crate) struct CacheOptions {
    pub(crate) ttl: Duration,
    pub(crate) capacity: u32,
    /// The methods whose calls empty the cache; that they are `#[public]`
    /// methods of the process is a rule (`check`), not grammar.
    pub(crate) invalidated_by: Vec<Ident>,
    /// Where `errors` was written: `Err` replies are kept too.
    pub(crate) errors: Option<Span>,
}

impl CacheOptions {
    /// `None` if any option is wrong or `ttl` is missing.
    pub(super) fn parse(attr: &Attribute, errors: &mut Errors) -> Option<Self> {
        let mut ttl = Slot::new("ttl");
        let mut capacity = Slot::new("capacity");
        let mut invalidated_by = Slot::new("invalidated_by");
        let mut keep_errors = Slot::new("errors");
        let before = errors.count();
        parse_each(args_of(attr), errors, |meta, name, span, errors| {
            match name {
                "ttl" => ttl.set(duration_value(meta, errors, nonzero_ttl)?, span, errors),
                "capacity" => capacity.set(
                    positive(meta, errors, "a whole number, e.g. `capacity = 1000`")?,
                    span,
                    errors,
                ),
                "invalidated_by" => {
                    let methods = value(
                        meta,
                        errors,
                        "the method that changes what is cached, e.g. `invalidated_by = put`, or several, e.g. `invalidated_by = [put, remove]`",
                        methods,
                    )?;
                    invalidated_by.set(methods, span, errors);
                }
                "errors" => keep_errors.set(Some(span), span, errors),
                _ => unknown_option(
                    meta,
                    name,
                    "cache",
                    (
                        &["ttl", "capacity", "invalidated_by", "errors"],
                        "`ttl`, `capacity`, `invalidated_by`, `errors`",
                    ),
                    errors,
                )?,
            }
            Ok(())
        });
        let Some(ttl) = ttl.get() else {
            if errors.count() == before {
                errors.spanned(
                    attr,
                    "a cache needs to know how long a reply stays fresh: write `#[cache(ttl = \"30s\")]`",
                );
            }
            return None;
        };
        (errors.count() == before).then(|| Self {
            ttl,
            capacity: capacity.get().unwrap_or(DEFAULT_CAPACITY),
            invalidated_by: invalidated_by.get().unwrap_or_default(),
            errors: keep_errors.get(),
        })
    }
}

/// `put` or `[put, remove]`.
fn methods(expr: &Expr) -> Option<Vec<Ident>> {
    match expr {
        Expr::Array(array) if !array.elems.is_empty() => array.elems.iter().map(ident).collect(),
        _ => ident(expr).map(|method| vec![method]),
    }
}

/// For [`duration_value`]: a reply fresh for no time at all is never
/// served.
fn nonzero_ttl(ttl: Duration, lit: &LitStr, errors: &mut Errors) -> bool {
    let ok = !ttl.is_zero();
    if !ok {
        errors.spanned(
            lit,
            "a cached reply must stay fresh for longer than zero, e.g. `ttl = \"30s\"`; to cache nothing, remove `#[cache]`",
        );
    }
    ok
}
