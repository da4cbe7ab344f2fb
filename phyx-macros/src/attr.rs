//! The grammars of phyx's attributes.

use std::time::Duration;

use proc_macro2::{Span, TokenStream};
use syn::meta::ParseNestedMeta;
use syn::{Ident, LitFloat, LitInt, LitStr, Path};

use crate::duration;
use crate::errors::Errors;

/// An option that may be given once; a second time is an error.
pub(crate) struct Slot<T> {
    name: &'static str,
    value: Option<T>,
}

impl<T> Slot<T> {
    pub(crate) fn new(name: &'static str) -> Self {
        Self { name, value: None }
    }

    fn set(&mut self, value: Option<T>, span: Span, errors: &mut Errors) {
        if self.value.is_some() {
            errors.push(syn::Error::new(span, format!("duplicate `{}` option; give it once", self.name)));
        } else if value.is_some() {
            self.value = value;
        }
    }

    pub(crate) fn get(self) -> Option<T> {
        self.value
    }
}

/// `#[process(...)]`.
pub(crate) struct ProcessOptions {
    pub(crate) krate: Option<Path>,
    pub(crate) name: Option<LitStr>,
    pub(crate) mailbox: Option<usize>,
    pub(crate) overflow: Option<Ident>,
    pub(crate) restart: Option<Ident>,
    pub(crate) backoff: Option<BackoffOptions>,
    pub(crate) max_restarts: Option<u32>,
    pub(crate) within: Option<Duration>,
    pub(crate) shutdown: Option<Duration>,
}

pub(crate) struct BackoffOptions {
    pub(crate) initial: Duration,
    pub(crate) max: Duration,
    pub(crate) factor: f64,
    pub(crate) jitter: f64,
}

const PROCESS_OPTIONS: &str =
    "`mailbox`, `overflow`, `restart`, `backoff(...)`, `max_restarts`, `within`, `shutdown`, `name`, `crate`";

/// Parses `#[process(...)]`, recording every error and keeping what parsed.
pub(crate) fn process_options(args: TokenStream, errors: &mut Errors) -> ProcessOptions {
    let mut krate = Slot::new("crate");
    let mut name = Slot::new("name");
    let mut mailbox = Slot::new("mailbox");
    let mut overflow = Slot::new("overflow");
    let mut restart = Slot::new("restart");
    let mut backoff = Slot::new("backoff");
    let mut max_restarts = Slot::new("max_restarts");
    let mut within = Slot::new("within");
    let mut shutdown = Slot::new("shutdown");
    let parser = syn::meta::parser(|meta| {
        let span = meta.path.get_ident().map_or_else(Span::call_site, Ident::span);
        let key = meta.path.get_ident().map(ToString::to_string).unwrap_or_default();
        match key.as_str() {
            "crate" => krate.set(Some(meta.value()?.parse::<Path>()?), span, errors),
            "name" => name.set(Some(meta.value()?.parse::<LitStr>()?), span, errors),
            "mailbox" => {
                let lit: LitInt = meta.value()?.parse()?;
                let capacity = errors.ok(lit.base10_parse::<usize>());
                let capacity = capacity.filter(|&capacity| {
                    let ok = capacity > 0;
                    if !ok {
                        errors.spanned(&lit, "a mailbox holds at least one message: write `mailbox = 1` or more");
                    }
                    ok
                });
                mailbox.set(capacity, span, errors);
            }
            "overflow" => {
                let value = choice(&meta, errors, &[
                    ("reject", "Reject"),
                    ("drop_oldest", "DropOldest"),
                    ("backpressure", "Backpressure"),
                ])?;
                overflow.set(value, span, errors);
            }
            "restart" => {
                let value = choice(&meta, errors, &[
                    ("permanent", "Permanent"),
                    ("transient", "Transient"),
                    ("temporary", "Temporary"),
                ])?;
                restart.set(value, span, errors);
            }
            "backoff" => {
                let value = backoff_options(&meta, errors)?;
                backoff.set(value, span, errors);
            }
            "max_restarts" => {
                let lit: LitInt = meta.value()?.parse()?;
                max_restarts.set(errors.ok(lit.base10_parse::<u32>()), span, errors);
            }
            "within" => {
                let value = nonzero(duration_value(&meta, errors)?, &meta, errors);
                within.set(value, span, errors);
            }
            "shutdown" => shutdown.set(duration_value(&meta, errors)?, span, errors),
            _ => {
                errors.spanned(&meta.path, format!("unknown `#[process]` option; expected one of {PROCESS_OPTIONS}"));
                skip_value(&meta)?;
            }
        }
        Ok(())
    });
    if let Err(error) = syn::parse::Parser::parse2(parser, args) {
        errors.push(error);
    }
    ProcessOptions {
        krate: krate.get(),
        name: name.get(),
        mailbox: mailbox.get(),
        overflow: overflow.get(),
        restart: restart.get(),
        backoff: backoff.get(),
        max_restarts: max_restarts.get(),
        within: within.get(),
        shutdown: shutdown.get(),
    }
}

/// `key = one_of_these`, giving the runtime's variant name.
fn choice(meta: &ParseNestedMeta<'_>, errors: &mut Errors, choices: &[(&str, &str)]) -> syn::Result<Option<Ident>> {
    let value: Ident = meta.value()?.parse()?;
    let found = choices.iter().find(|(written, _)| value == written);
    Ok(match found {
        Some((_, variant)) => Some(Ident::new(variant, value.span())),
        None => {
            let expected: Vec<String> = choices.iter().map(|(written, _)| format!("`{written}`")).collect();
            errors.spanned(&value, format!("unknown value `{value}`; expected one of {}", expected.join(", ")));
            None
        }
    })
}

/// `key = "250ms"`.
fn duration_value(meta: &ParseNestedMeta<'_>, errors: &mut Errors) -> syn::Result<Option<Duration>> {
    let lit: LitStr = meta.value()?.parse()?;
    Ok(match duration::parse(&lit.value()) {
        Ok(duration) => Some(duration),
        Err(message) => {
            errors.spanned(&lit, message);
            None
        }
    })
}

fn nonzero(duration: Option<Duration>, meta: &ParseNestedMeta<'_>, errors: &mut Errors) -> Option<Duration> {
    if duration == Some(Duration::ZERO) {
        errors.spanned(&meta.path, "a restart window must be longer than zero, e.g. `within = \"30s\"`");
        return None;
    }
    duration
}

/// `backoff(initial = "100ms", max = "10s", factor = 2.0, jitter = 0.1)`.
fn backoff_options(meta: &ParseNestedMeta<'_>, errors: &mut Errors) -> syn::Result<Option<BackoffOptions>> {
    let mut initial = Slot::new("initial");
    let mut max = Slot::new("max");
    let mut factor = Slot::new("factor");
    let mut jitter = Slot::new("jitter");
    if !meta.input.peek(syn::token::Paren) {
        errors.spanned(&meta.path, "write the backoff as `backoff(initial = \"100ms\", max = \"10s\")`, optionally with `factor = 2.0` and `jitter = 0.1`");
        skip_value(meta)?;
        return Ok(None);
    }
    meta.parse_nested_meta(|inner| {
        let span = inner.path.get_ident().map_or_else(Span::call_site, Ident::span);
        let key = inner.path.get_ident().map(ToString::to_string).unwrap_or_default();
        match key.as_str() {
            "initial" => initial.set(duration_value(&inner, errors)?, span, errors),
            "max" => max.set(duration_value(&inner, errors)?, span, errors),
            "factor" => {
                let lit = float(&inner)?;
                let value = errors.ok(lit.base10_parse::<f64>()).filter(|value| {
                    let ok = value.is_finite() && *value >= 1.0;
                    if !ok {
                        errors.spanned(&lit, "the backoff factor must be at least 1.0, e.g. `factor = 2.0`");
                    }
                    ok
                });
                factor.set(value, span, errors);
            }
            "jitter" => {
                let lit = float(&inner)?;
                let value = errors.ok(lit.base10_parse::<f64>()).filter(|value| {
                    let ok = (0.0..=1.0).contains(value);
                    if !ok {
                        errors.spanned(&lit, "the backoff jitter is a fraction within 0.0..=1.0, e.g. `jitter = 0.1`");
                    }
                    ok
                });
                jitter.set(value, span, errors);
            }
            _ => {
                errors.spanned(&inner.path, "unknown `backoff` option; expected one of `initial`, `max`, `factor`, `jitter`");
                skip_value(&inner)?;
            }
        }
        Ok(())
    })?;
    let Some(initial) = initial.get() else {
        errors.spanned(&meta.path, "`backoff(...)` needs `initial`, e.g. `backoff(initial = \"100ms\", max = \"10s\")`");
        return Ok(None);
    };
    let max = max.get().unwrap_or(initial.max(Duration::from_secs(10)));
    if initial > max {
        errors.spanned(&meta.path, "the backoff's `initial` delay is longer than its `max`; make `max` at least `initial`");
        return Ok(None);
    }
    Ok(Some(BackoffOptions {
        initial,
        max,
        factor: factor.get().unwrap_or(2.0),
        jitter: jitter.get().unwrap_or(0.0),
    }))
}

/// A float written as `2.0` or `2`.
fn float(meta: &ParseNestedMeta<'_>) -> syn::Result<LitFloat> {
    let input = meta.value()?;
    if input.peek(LitInt) {
        let int: LitInt = input.parse()?;
        return Ok(LitFloat::new(&format!("{}.0", int.base10_digits()), int.span()));
    }
    input.parse()
}

/// Consumes `= value` or `(...)` after an unknown key, so parsing can go on.
fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        meta.value()?.parse::<syn::Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.parse_nested_meta(|inner| skip_value(&inner))?;
    }
    Ok(())
}

/// Errors unless a marker attribute (`#[public]`, ...) is written bare.
pub(crate) fn bare_marker(attr: &syn::Attribute, name: &str, errors: &mut Errors) {
    if !matches!(attr.meta, syn::Meta::Path(_)) {
        errors.spanned(&attr.meta, format!("`#[{name}]` takes no arguments; write `#[{name}]`"));
    }
}
