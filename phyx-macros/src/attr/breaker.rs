//! `#[circuit_breaker(failures = 5, cooldown = "30s", trials = 1)]`.

use std::time::Duration;

use syn::Attribute;

use super::option::{Slot, args_of, duration_value, nonzero_window, parse_each, positive, unknown_option};
use crate::errors::Errors;

/// `#[circuit_breaker(...)]`, defaults filled in.
pub(crate) struct BreakerOptions {
    pub(crate) failures: u32,
    pub(crate) cooldown: Duration,
    pub(crate) trials: u32,
}

impl BreakerOptions {
    /// `None` if any option is wrong: a breaker that half-parsed would
    /// trip at a threshold nobody wrote.
    pub(super) fn parse(attr: &Attribute, errors: &mut Errors) -> Option<Self> {
        let mut failures = Slot::new("failures");
        let mut cooldown = Slot::new("cooldown");
        let mut trials = Slot::new("trials");
        let before = errors.count();
        parse_each(args_of(attr), errors, |meta, key, span, errors| {
            match key {
                "failures" => {
                    let value = positive(meta, errors, "a whole number, e.g. `failures = 5`")?;
                    failures.set(value, span, errors);
                }
                "trials" => trials.set(
                    positive(meta, errors, "a whole number, e.g. `trials = 1`")?,
                    span,
                    errors,
                ),
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
        (errors.count() == before).then(|| Self {
            failures: failures.get().unwrap_or(5),
            cooldown: cooldown.get().unwrap_or(Duration::from_secs(30)),
            trials: trials.get().unwrap_or(1),
        })
    }
}
