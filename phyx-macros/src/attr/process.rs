//! `#[process(...)]`: the spawn defaults of a process. `#[child(...)]`
//! takes the same options but `crate` (see `child.rs`).

use std::time::Duration;

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::quote;
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Ident, Lit, LitStr, Path};

use super::common::{Common, Examples};
use super::option::{
    Slot, any_duration, choice, duration_value, key_of, lit_float, lit_int, skip_value, unknown_option, value,
};
use crate::errors::Errors;

/// `#[process(...)]`, and `#[child(...)]`. `None` is an option not
/// written: the runtime's default.
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
    /// `remote`: the messages cross between nodes; where it was written.
    pub(crate) remote: Option<Span>,
    /// `durable`: tells go through a JetStream stream (with `remote`).
    pub(crate) durable: Option<Span>,
    /// `journal`: the state is rebuilt from a journal of events.
    pub(crate) journal: Option<Span>,
    /// `snapshot_every = N` (with `journal`), and where it was written.
    pub(crate) snapshot_every: Option<(u64, Span)>,
    /// `trace`: every `#[public]` method is traced; where it was written.
    pub(crate) trace: Option<Span>,
}

/// `backoff(initial = "100ms", max = "10s", factor = 2.0, jitter = 0.1)`.
pub(crate) struct BackoffOptions {
    pub(crate) initial: Duration,
    pub(crate) max: Duration,
    pub(crate) factor: f64,
    pub(crate) jitter: f64,
}

const KEYS: &[&str] = &[
    "mailbox",
    "overflow",
    "restart",
    "backoff",
    "max_restarts",
    "within",
    "shutdown",
    "name",
    "remote",
    "durable",
    "journal",
    "snapshot_every",
    "trace",
    "crate",
];

const EXPECTED: &str = "`mailbox`, `overflow`, `restart`, `backoff(...)`, `max_restarts`, `within`, `shutdown`, `name`, `remote`, `durable`, `journal`, `snapshot_every`, `trace`, `crate`";

const EXAMPLES: Examples = Examples {
    name: "a string, e.g. `name = \"cache\"`",
    max_restarts: "a whole number, e.g. `max_restarts = 5`",
};

impl ProcessOptions {
    /// Parses `#[process(...)]`'s arguments, recording every error and
    /// keeping what parsed.
    pub(crate) fn parse(args: TokenStream, errors: &mut Errors) -> Self {
        let mut common = Common::new();
        let mut mailbox = Slot::new("mailbox");
        let mut overflow = Slot::new("overflow");
        let mut restart = Slot::new("restart");
        let mut backoff = Slot::new("backoff");
        let mut shutdown = Slot::new("shutdown");
        let mut remote = Slot::new("remote");
        let mut durable = Slot::new("durable");
        let mut journal = Slot::new("journal");
        let mut snapshot_every = Slot::new("snapshot_every");
        let mut trace = Slot::new("trace");
        common.parse_each(args, errors, &EXAMPLES, |meta, key, span, errors| {
            match key {
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
                "shutdown" => shutdown.set(duration_value(meta, errors, any_duration)?, span, errors),
                "remote" => {
                    if remote_value(meta, errors)? {
                        remote.set(Some(span), span, errors);
                    }
                }
                "durable" => {
                    if durable_value(meta, errors)? {
                        durable.set(Some(span), span, errors);
                    }
                }
                "journal" => {
                    if journal_value(meta, errors)? {
                        journal.set(Some(span), span, errors);
                    }
                }
                "trace" => {
                    if trace_value(meta, errors)? {
                        trace.set(Some(span), span, errors);
                    }
                }
                "snapshot_every" => {
                    let lit = value(meta, errors, "a whole number of events, e.g. `snapshot_every = 1000`", lit_int)?;
                    let every = lit.and_then(|lit| match lit.base10_parse::<u64>() {
                        Ok(0) | Err(_) => {
                            errors.spanned(
                                &lit,
                                "a snapshot is taken every so many events, at least one: write `snapshot_every = 1` or more (or leave it out for none)",
                            );
                            None
                        }
                        Ok(every) => Some((every, span)),
                    });
                    snapshot_every.set(every, span, errors);
                }
                _ => unknown_option(meta, key, "process", (KEYS, EXPECTED), errors)?,
            }
            Ok(())
        });
        let (krate, name, max_restarts, within) = common.finish();
        let (remote, durable) = (remote.get(), durable.get());
        let (journal, snapshot_every) = (journal.get(), snapshot_every.get());
        Self {
            krate,
            name,
            mailbox: mailbox.get(),
            overflow: overflow.get(),
            restart: restart.get(),
            backoff: backoff.get(),
            max_restarts,
            within,
            shutdown: shutdown.get(),
            remote,
            durable,
            journal,
            snapshot_every,
            trace: trace.get(),
        }
    }
}

impl ProcessOptions {
    /// An option without the one it needs: `durable` without `remote`,
    /// `snapshot_every` without `journal`; the one error, on it.
    /// (A `#[child]` says its own.)
    pub(crate) fn check_requires(&self, errors: &mut Errors) {
        if let (Some(durable), None) = (self.durable, self.remote) {
            errors.push(syn::Error::new(
                durable,
                "a durable process is reached from other nodes: write `#[process(remote, durable)]`",
            ));
        }
        if let (Some((_, every)), None) = (self.snapshot_every, self.journal) {
            errors.push(syn::Error::new(
                every,
                "snapshots are of an event-sourced process's state: write `#[process(journal, snapshot_every = ...)]`",
            ));
        }
    }
}

/// Whether `remote` is written bare; otherwise the error for its value,
/// on the option and the value. A valued `remote` is taken as not written,
/// so that its one error is the attribute's (in `#[child(remote = true)]`
/// too, whose fix is the same: `#[process(remote)]` on the child's impl).
fn remote_value(meta: &ParseNestedMeta<'_>, errors: &mut Errors) -> syn::Result<bool> {
    flag_value(
        meta,
        errors,
        "`#[process(remote)]`",
        "a process is local unless it says `remote`: remove `remote = false`",
    )
}

/// Whether `journal` is written bare; otherwise the error for its value.
fn journal_value(meta: &ParseNestedMeta<'_>, errors: &mut Errors) -> syn::Result<bool> {
    flag_value(
        meta,
        errors,
        "`#[process(journal)]`",
        "a process starts from its factory's state unless it says `journal`: remove `journal = false`",
    )
}

/// Whether `trace` is written bare; otherwise the error for its value.
fn trace_value(meta: &ParseNestedMeta<'_>, errors: &mut Errors) -> syn::Result<bool> {
    flag_value(
        meta,
        errors,
        "`#[process(trace)]` (or `#[trace]` on the methods to trace)",
        "a process's methods are untraced unless it says `trace`: remove `trace = false`",
    )
}

/// Whether `durable` is written bare; otherwise the error for its value.
fn durable_value(meta: &ParseNestedMeta<'_>, errors: &mut Errors) -> syn::Result<bool> {
    flag_value(
        meta,
        errors,
        "`#[process(remote, durable)]`",
        "tells are at most once unless the process says `durable`: remove `durable = false`",
    )
}

/// Whether a flag option is written bare; otherwise the error for its
/// value or arguments, on them and the option, saying to write `fix`
/// (or, for `= false`, `when_false`).
fn flag_value(meta: &ParseNestedMeta<'_>, errors: &mut Errors, fix: &str, when_false: &str) -> syn::Result<bool> {
    let path = &meta.path;
    let name = path.get_ident().map(ToString::to_string).unwrap_or_default();
    if meta.input.peek(syn::Token![=]) {
        let expr: Expr = meta.value()?.parse()?;
        let off = matches!(&expr, Expr::Lit(ExprLit { lit: Lit::Bool(lit), .. }) if !lit.value);
        let message = if off {
            when_false.to_owned()
        } else {
            format!("`{name}` takes no value: write {fix}")
        };
        errors.spanned(quote!(#path = #expr), message);
        return Ok(false);
    }
    if meta.input.peek(syn::token::Paren) {
        let args: TokenTree = meta.input.parse()?;
        errors.spanned(quote!(#path #args), format!("`{name}` takes no arguments: write {fix}"));
        return Ok(false);
    }
    Ok(true)
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
        let (key, span) = key_of(&inner);
        match key.as_str() {
            "initial" => initial.set(duration_value(&inner, errors, any_duration)?, span, errors),
            "max" => {
                // Kept with the value's span: a `max` below `initial` is
                // reported there.
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
