//! The grammars of phyx's attributes.

use std::time::Duration;

use proc_macro2::{Span, TokenStream};
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Ident, Lit, LitFloat, LitInt, LitStr, Path};

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
            errors.push(syn::Error::new(
                span,
                format!("duplicate `{}` option; give it once", self.name),
            ));
        } else if value.is_some() {
            self.value = value;
        }
    }

    pub(crate) fn get(self) -> Option<T> {
        self.value
    }
}

/// Runs `each` on every option of an attribute's arguments with the
/// option's name and span, recording a syntax error (which ends parsing).
fn parse_each(
    args: TokenStream,
    errors: &mut Errors,
    mut each: impl FnMut(&ParseNestedMeta<'_>, &str, Span, &mut Errors) -> syn::Result<()>,
) {
    let parser = syn::meta::parser(|meta| {
        let span = meta.path.get_ident().map_or_else(Span::call_site, Ident::span);
        let key = meta.path.get_ident().map(ToString::to_string).unwrap_or_default();
        each(&meta, &key, span, errors)
    });
    if let Err(error) = syn::parse::Parser::parse2(parser, args) {
        errors.push(error);
    }
}

/// The arguments of `#[name(...)]`; none for a bare `#[name]`.
fn attr_args(attr: &syn::Attribute) -> TokenStream {
    match &attr.meta {
        syn::Meta::List(list) => list.tokens.clone(),
        _ => TokenStream::new(),
    }
}

/// Reports an unknown option of `#[attribute]`, suggesting the nearest
/// known one, and skips its value so that parsing goes on.
fn unknown_option(
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

/// `#[supervisor(...)]`.
pub(crate) struct SupervisorOptions {
    pub(crate) krate: Option<Path>,
    pub(crate) name: Option<LitStr>,
    pub(crate) strategy: Option<Ident>,
    pub(crate) max_restarts: Option<u32>,
    pub(crate) within: Option<Duration>,
}

const SUPERVISOR_KEYS: &[&str] = &["strategy", "max_restarts", "within", "name", "crate"];

/// Parses `#[supervisor(...)]`, recording every error and keeping what parsed.
pub(crate) fn supervisor_options(args: TokenStream, errors: &mut Errors) -> SupervisorOptions {
    let mut krate = Slot::new("crate");
    let mut name = Slot::new("name");
    let mut strategy = Slot::new("strategy");
    let mut max_restarts = Slot::new("max_restarts");
    let mut within = Slot::new("within");
    parse_each(args, errors, |meta, key, span, errors| {
        match key {
            "crate" => krate.set(crate_path(meta, errors)?, span, errors),
            "name" => {
                let value = value(meta, errors, "a string, e.g. `name = \"shop\"`", lit_str)?;
                name.set(value, span, errors);
            }
            "strategy" => {
                let value = choice(
                    meta,
                    errors,
                    &[
                        ("one_for_one", "OneForOne"),
                        ("one_for_all", "OneForAll"),
                        ("rest_for_one", "RestForOne"),
                    ],
                )?;
                strategy.set(value, span, errors);
            }
            "max_restarts" => {
                let lit = value(meta, errors, "a whole number, e.g. `max_restarts = 3`", lit_int)?;
                let count = lit.and_then(|lit| errors.ok(lit.base10_parse::<u32>()));
                max_restarts.set(count, span, errors);
            }
            "within" => {
                let value = duration_value(meta, errors, nonzero_window)?;
                within.set(value, span, errors);
            }
            _ => unknown_option(
                meta,
                key,
                "supervisor",
                (SUPERVISOR_KEYS, "`strategy`, `max_restarts`, `within`, `name`, `crate`"),
                errors,
            )?,
        }
        Ok(())
    });
    SupervisorOptions {
        krate: krate.get(),
        name: name.get(),
        strategy: strategy.get(),
        max_restarts: max_restarts.get(),
        within: within.get(),
    }
}

fn nonzero_window(duration: Duration, lit: &LitStr, errors: &mut Errors) -> bool {
    let ok = !duration.is_zero();
    if !ok {
        errors.spanned(
            lit,
            "a restart window must be longer than zero, e.g. `within = \"30s\"`",
        );
    }
    ok
}

fn crate_path(meta: &ParseNestedMeta<'_>, errors: &mut Errors) -> syn::Result<Option<Path>> {
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

/// `#[process(...)]`, and `#[child(...)]` (which takes the same options
/// but `crate`).
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
    parse_each(args, errors, |meta, key, span, errors| {
        match key {
            "crate" => krate.set(crate_path(meta, errors)?, span, errors),
            "name" => {
                let value = value(meta, errors, "a string, e.g. `name = \"cache\"`", lit_str)?;
                name.set(value, span, errors);
            }
            "mailbox" => {
                let lit = value(meta, errors, "a whole number, e.g. `mailbox = 64`", lit_int)?;
                let capacity = lit.and_then(|lit| match lit.base10_parse::<usize>() {
                    Ok(0) | Err(_) => {
                        errors.spanned(
                            &lit,
                            "a mailbox holds at least one message: write `mailbox = 1` or more",
                        );
                        None
                    }
                    Ok(capacity) => Some(capacity),
                });
                mailbox.set(capacity, span, errors);
            }
            "overflow" => {
                let value = choice(
                    meta,
                    errors,
                    &[
                        ("reject", "Reject"),
                        ("drop_oldest", "DropOldest"),
                        ("backpressure", "Backpressure"),
                    ],
                )?;
                overflow.set(value, span, errors);
            }
            "restart" => {
                let value = choice(
                    meta,
                    errors,
                    &[
                        ("permanent", "Permanent"),
                        ("transient", "Transient"),
                        ("temporary", "Temporary"),
                    ],
                )?;
                restart.set(value, span, errors);
            }
            "backoff" => {
                let value = backoff_options(meta, errors)?;
                backoff.set(value, span, errors);
            }
            "max_restarts" => {
                let lit = value(meta, errors, "a whole number, e.g. `max_restarts = 5`", lit_int)?;
                let count = lit.and_then(|lit| errors.ok(lit.base10_parse::<u32>()));
                max_restarts.set(count, span, errors);
            }
            "within" => {
                let value = duration_value(meta, errors, nonzero_window)?;
                within.set(value, span, errors);
            }
            "shutdown" => shutdown.set(duration_value(meta, errors, |_, _, _| true)?, span, errors),
            _ => unknown_option(meta, key, "process", (PROCESS_KEYS, PROCESS_OPTIONS), errors)?,
        }
        Ok(())
    });
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

/// `key = value`, parsed as any expression so that a value of the wrong
/// kind is reported with what to write, and parsing goes on.
fn value<T>(
    meta: &ParseNestedMeta<'_>,
    errors: &mut Errors,
    expected: &str,
    pick: impl FnOnce(&Expr) -> Option<T>,
) -> syn::Result<Option<T>> {
    let expr: Expr = meta.value()?.parse()?;
    let picked = pick(&expr);
    if picked.is_none() {
        let key = meta.path.get_ident().map(ToString::to_string).unwrap_or_default();
        errors.spanned(&expr, format!("`{key}` takes {expected}"));
    }
    Ok(picked)
}

fn lit_int(expr: &Expr) -> Option<LitInt> {
    match expr {
        Expr::Lit(ExprLit { lit: Lit::Int(lit), .. }) => Some(lit.clone()),
        _ => None,
    }
}

fn lit_str(expr: &Expr) -> Option<LitStr> {
    match expr {
        Expr::Lit(ExprLit { lit: Lit::Str(lit), .. }) => Some(lit.clone()),
        _ => None,
    }
}

/// A float written as `2.0` or `2`.
fn lit_float(expr: &Expr) -> Option<LitFloat> {
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

/// `key = one_of_these`, giving the runtime's variant name.
fn choice(meta: &ParseNestedMeta<'_>, errors: &mut Errors, choices: &[(&str, &str)]) -> syn::Result<Option<Ident>> {
    let written: Vec<String> = choices.iter().map(|(written, _)| format!("`{written}`")).collect();
    let expected = format!("one of {}", written.join(", "));
    let value = value(meta, errors, &expected, |expr| match expr {
        Expr::Path(path) => path.path.get_ident().cloned(),
        _ => None,
    })?;
    let Some(value) = value else { return Ok(None) };
    match choices.iter().find(|(written, _)| value == written) {
        Some((_, variant)) => Ok(Some(Ident::new(variant, value.span()))),
        None => {
            errors.spanned(&value, format!("unknown value `{value}`; expected {expected}"));
            Ok(None)
        }
    }
}

/// `key = "250ms"`, kept if `accept` agrees.
fn duration_value(
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

const PROCESS_KEYS: &[&str] = &[
    "mailbox",
    "overflow",
    "restart",
    "backoff",
    "max_restarts",
    "within",
    "shutdown",
    "name",
    "crate",
];

/// The known key nearest to a misspelled one, if any is near.
pub(crate) fn closest<'a>(key: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .copied()
        .filter(|known| key.contains(known) || known.contains(key) || edit_distance(key, known) <= 2)
        .min_by_key(|known| edit_distance(key, known))
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substituted = previous + usize::from(ca != cb);
            previous = row[j + 1];
            row[j + 1] = substituted.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
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
            "initial" => initial.set(duration_value(&inner, errors, |_, _, _| true)?, span, errors),
            "max" => {
                let mut value_span = span;
                let value = duration_value(&inner, errors, |_, lit, _| {
                    value_span = lit.span();
                    true
                })?;
                max.set(value.map(|duration| (duration, value_span)), span, errors);
            }
            "factor" => {
                let Some(lit) = value(&inner, errors, "a number, e.g. `factor = 2.0`", lit_float)? else {
                    return Ok(());
                };
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
                let Some(lit) = value(&inner, errors, "a fraction, e.g. `jitter = 0.1`", lit_float)? else {
                    return Ok(());
                };
                let value = errors.ok(lit.base10_parse::<f64>()).filter(|value| {
                    let ok = (0.0..=1.0).contains(value);
                    if !ok {
                        errors.spanned(
                            &lit,
                            "the backoff jitter is a fraction within 0.0..=1.0, e.g. `jitter = 0.1`",
                        );
                    }
                    ok
                });
                jitter.set(value, span, errors);
            }
            _ => {
                errors.spanned(
                    &inner.path,
                    "unknown `backoff` option; expected one of `initial`, `max`, `factor`, `jitter`",
                );
                skip_value(&inner)?;
            }
        }
        Ok(())
    })?;
    let Some(initial) = initial.get() else {
        errors.spanned(
            &meta.path,
            "`backoff(...)` needs `initial`, e.g. `backoff(initial = \"100ms\", max = \"10s\")`",
        );
        return Ok(None);
    };
    let (max, max_span) = max
        .get()
        .unwrap_or((initial.max(Duration::from_secs(10)), meta.path.span()));
    if initial > max {
        errors.push(syn::Error::new(
            max_span,
            "the backoff's `max` is shorter than its `initial` delay; make `max` at least `initial`",
        ));
        return Ok(None);
    }
    Ok(Some(BackoffOptions {
        initial,
        max,
        factor: factor.get().unwrap_or(2.0),
        jitter: jitter.get().unwrap_or(0.0),
    }))
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

/// `#[circuit_breaker(...)]`.
pub(crate) struct BreakerOptions {
    pub(crate) failures: u32,
    pub(crate) cooldown: Duration,
    pub(crate) trials: u32,
}

/// `#[rate_limit(...)]`.
pub(crate) struct RateOptions {
    pub(crate) per: Duration,
    pub(crate) count: u32,
    pub(crate) burst: u32,
    pub(crate) wait: bool,
    pub(crate) key: Option<Ident>,
}

fn positive(lit: Option<LitInt>, what: &str, errors: &mut Errors) -> Option<u32> {
    let lit = lit?;
    match lit.base10_parse::<u32>() {
        Ok(0) => {
            errors.spanned(&lit, format!("`{what}` must be at least 1"));
            None
        }
        Ok(value) => Some(value),
        Err(error) => {
            errors.push(error);
            None
        }
    }
}

/// Parses `#[circuit_breaker(failures = 5, cooldown = "30s", trials = 1)]`.
pub(crate) fn breaker_options(attr: &syn::Attribute, errors: &mut Errors) -> Option<BreakerOptions> {
    let mut failures = Slot::new("failures");
    let mut cooldown = Slot::new("cooldown");
    let mut trials = Slot::new("trials");
    let before = errors.count();
    parse_each(attr_args(attr), errors, |meta, key, span, errors| {
        match key {
            "failures" => {
                let lit = value(meta, errors, "a whole number, e.g. `failures = 5`", lit_int)?;
                let value = positive(lit, "failures", errors);
                failures.set(value, span, errors);
            }
            "trials" => {
                let lit = value(meta, errors, "a whole number, e.g. `trials = 1`", lit_int)?;
                let value = positive(lit, "trials", errors);
                trials.set(value, span, errors);
            }
            "cooldown" => {
                let value = duration_value(meta, errors, nonzero_window)?;
                cooldown.set(value, span, errors);
            }
            _ => unknown_option(
                meta,
                key,
                "circuit_breaker",
                (&["failures", "cooldown", "trials"], "`failures`, `cooldown`, `trials`"),
                errors,
            )?,
        }
        Ok(())
    });
    (errors.count() == before).then(|| BreakerOptions {
        failures: failures.get().unwrap_or(5),
        cooldown: cooldown.get().unwrap_or(Duration::from_secs(30)),
        trials: trials.get().unwrap_or(1),
    })
}

/// Parses `#[rate_limit(per_second = 100, burst = 10, wait, key = user)]`.
pub(crate) fn rate_options(attr: &syn::Attribute, errors: &mut Errors) -> Option<RateOptions> {
    let mut per = Slot::new("per_second` or `per_minute");
    let mut burst = Slot::new("burst");
    let mut wait = Slot::new("wait");
    let mut key = Slot::new("key");
    let before = errors.count();
    parse_each(attr_args(attr), errors, |meta, name, span, errors| {
        match name {
            "per_second" | "per_minute" => {
                let lit = value(meta, errors, "a whole number, e.g. `per_second = 100`", lit_int)?;
                let count = positive(lit, name, errors);
                let period = if name == "per_second" {
                    Duration::from_secs(1)
                } else {
                    Duration::from_secs(60)
                };
                per.set(count.map(|count| (period, count)), span, errors);
            }
            "burst" => {
                let lit = value(meta, errors, "a whole number, e.g. `burst = 10`", lit_int)?;
                let value = positive(lit, "burst", errors);
                burst.set(value, span, errors);
            }
            "wait" => wait.set(Some(true), span, errors),
            "key" => {
                let value = value(
                    meta,
                    errors,
                    "the name of an argument, e.g. `key = user_id`",
                    |expr| match expr {
                        Expr::Path(path) => path.path.get_ident().cloned(),
                        _ => None,
                    },
                )?;
                key.set(value, span, errors);
            }
            _ => unknown_option(
                meta,
                name,
                "rate_limit",
                (
                    &["per_second", "per_minute", "burst", "wait", "key"],
                    "`per_second`, `per_minute`, `burst`, `wait`, `key`",
                ),
                errors,
            )?,
        }
        Ok(())
    });
    let Some((per, count)) = per.get() else {
        if errors.count() == before {
            errors.spanned(
                attr,
                "a rate limit needs a quota: write `#[rate_limit(per_second = 100)]` or `per_minute = ...`",
            );
        }
        return None;
    };
    (errors.count() == before).then(|| RateOptions {
        per,
        count,
        burst: burst.get().unwrap_or(count),
        wait: wait.get().unwrap_or(false),
        key: key.get(),
    })
}

/// Parses `#[compensate(release)]`: the name of the undo method.
pub(crate) fn compensate_options(attr: &syn::Attribute, errors: &mut Errors) -> Option<Ident> {
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
