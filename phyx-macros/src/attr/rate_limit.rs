//! `#[rate_limit(per_second = 100, burst = 10, wait, key = user)]`.

use std::time::Duration;

use syn::{Attribute, Ident};

use super::option::{Slot, args_of, ident, parse_each, positive, unknown_option, value};
use crate::errors::Errors;

/// `#[rate_limit(...)]`, defaults filled in.
pub(crate) struct RateOptions {
    pub(crate) per: Duration,
    pub(crate) count: u32,
    pub(crate) burst: u32,
    pub(crate) wait: bool,
    /// The argument to keep one quota per value of; that the method has it
    /// is a rule (`check`), not grammar.
    pub(crate) key: Option<Ident>,
}

impl RateOptions {
    /// `None` if any option is wrong or the quota is missing.
    pub(super) fn parse(attr: &Attribute, errors: &mut Errors) -> Option<Self> {
        let mut per = Slot::new("per_second` or `per_minute");
        let mut burst = Slot::new("burst");
        let mut wait = Slot::new("wait");
        let mut key = Slot::new("key");
        let before = errors.count();
        parse_each(args_of(attr), errors, |meta, name, span, errors| {
            match name {
                "per_second" | "per_minute" => {
                    let count = positive(meta, errors, "a whole number, e.g. `per_second = 100`")?;
                    let period = if name == "per_second" {
                        Duration::from_secs(1)
                    } else {
                        Duration::from_secs(60)
                    };
                    per.set(count.map(|count| (period, count)), span, errors);
                }
                "burst" => burst.set(
                    positive(meta, errors, "a whole number, e.g. `burst = 10`")?,
                    span,
                    errors,
                ),
                "wait" => wait.set(Some(true), span, errors),
                "key" => {
                    let value = value(meta, errors, "the name of an argument, e.g. `key = user_id`", ident)?;
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
        (errors.count() == before).then(|| Self {
            per,
            count,
            burst: burst.get().unwrap_or(count),
            wait: wait.get().unwrap_or(false),
            key: key.get(),
        })
    }
}
