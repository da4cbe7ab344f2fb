//! `#[idempotent(key = order_id, window = "10m", capacity = 100_000)]`.

use std::time::Duration;

use syn::{Attribute, Ident, LitStr};

use super::option::{Slot, args_of, duration_value, ident, parse_each, positive, unknown_option, value};
use crate::errors::Errors;

/// What to write, in every message that says what is missing.
const EXAMPLE: &str = "#[idempotent(key = order_id, window = \"10m\")]";

/// `#[idempotent(...)]`.
pub(crate) struct IdempotentOptions {
    /// The argument whose value keys the calls; that the method has it is
    /// a rule (`check`), not grammar.
    pub(crate) key: Ident,
    /// How long after the first call's reply a duplicate still gets it.
    pub(crate) window: Duration,
    /// The most completed keys kept; `None`: every key within one window.
    pub(crate) capacity: Option<u32>,
}

impl IdempotentOptions {
    /// `None` if any option is wrong, or the key or the window is missing:
    /// there is no default window a user could be expected to guess, and
    /// it is what bounds the memory the method keeps.
    pub(super) fn parse(attr: &Attribute, errors: &mut Errors) -> Option<Self> {
        let mut key = Slot::new("key");
        let mut window = Slot::new("window");
        let mut capacity = Slot::new("capacity");
        let before = errors.count();
        parse_each(args_of(attr), errors, |meta, name, span, errors| {
            match name {
                "key" => {
                    let value = value(meta, errors, "the name of an argument, e.g. `key = order_id`", ident)?;
                    key.set(value, span, errors);
                }
                "window" => {
                    let value = duration_value(meta, errors, nonzero)?;
                    window.set(value, span, errors);
                }
                "capacity" => capacity.set(
                    positive(meta, errors, "a whole number, e.g. `capacity = 100000`")?,
                    span,
                    errors,
                ),
                _ => unknown_option(
                    meta,
                    name,
                    "idempotent",
                    (&["key", "window", "capacity"], "`key`, `window`, `capacity`"),
                    errors,
                )?,
            }
            Ok(())
        });
        let (key, window, capacity) = (key.get(), window.get(), capacity.get());
        if errors.count() != before {
            return None;
        }
        let missing = match (&key, &window) {
            (None, None) => Some("a key and a window"),
            (None, Some(_)) => Some("a key: the argument whose value tells duplicates apart"),
            (Some(_), None) => Some("a window: how long a reply is remembered"),
            (Some(_), Some(_)) => None,
        };
        if let Some(missing) = missing {
            errors.spanned(attr, format!("`#[idempotent]` needs {missing}; write `{EXAMPLE}`"));
            return None;
        }
        Some(Self {
            key: key?,
            window: window?,
            capacity,
        })
    }
}

/// For `window`: a window of nothing would remember nothing.
fn nonzero(duration: Duration, lit: &LitStr, errors: &mut Errors) -> bool {
    let ok = !duration.is_zero();
    if !ok {
        errors.spanned(
            lit,
            "an idempotency window must be longer than zero, e.g. `window = \"10m\"`",
        );
    }
    ok
}
