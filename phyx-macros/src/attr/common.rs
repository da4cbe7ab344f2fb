//! The options `#[process(...)]` and `#[supervisor(...)]` share: `crate`,
//! `name`, and the restart limit `max_restarts` within `within`.

use std::time::Duration;

use proc_macro2::{Span, TokenStream};
use syn::meta::ParseNestedMeta;
use syn::{LitStr, Path};

use super::option::{Slot, count, crate_path, duration_value, lit_str, nonzero_window, parse_each, value};
use crate::errors::Errors;

/// What to write, in the words of each attribute's own example.
pub(super) struct Examples {
    pub(super) name: &'static str,
    pub(super) max_restarts: &'static str,
}

pub(super) struct Common {
    krate: Slot<Path>,
    name: Slot<LitStr>,
    max_restarts: Slot<u32>,
    within: Slot<Duration>,
}

impl Common {
    pub(super) fn new() -> Self {
        Self {
            krate: Slot::new("crate"),
            name: Slot::new("name"),
            max_restarts: Slot::new("max_restarts"),
            within: Slot::new("within"),
        }
    }

    /// The options' values: `crate`, `name`, `max_restarts`, `within`.
    pub(super) fn finish(self) -> (Option<Path>, Option<LitStr>, Option<u32>, Option<Duration>) {
        (
            self.krate.get(),
            self.name.get(),
            self.max_restarts.get(),
            self.within.get(),
        )
    }

    /// Runs `each` on every option of `args` that is not a shared one (see
    /// [`parse_each`]).
    pub(super) fn parse_each(
        &mut self,
        args: TokenStream,
        errors: &mut Errors,
        examples: &Examples,
        mut each: impl FnMut(&ParseNestedMeta<'_>, &str, Span, &mut Errors) -> syn::Result<()>,
    ) {
        parse_each(args, errors, |meta, key, span, errors| {
            if self.parse(meta, key, span, errors, examples)? {
                Ok(())
            } else {
                each(meta, key, span, errors)
            }
        });
    }

    /// Parses the option `key` if it is one of the shared ones; `false`
    /// leaves it to the attribute's own keys.
    fn parse(
        &mut self,
        meta: &ParseNestedMeta<'_>,
        key: &str,
        span: Span,
        errors: &mut Errors,
        examples: &Examples,
    ) -> syn::Result<bool> {
        match key {
            "crate" => self.krate.set(crate_path(meta, errors)?, span, errors),
            "name" => {
                let value = value(meta, errors, examples.name, lit_str)?;
                self.name.set(value, span, errors);
            }
            "max_restarts" => {
                let value = count(meta, errors, examples.max_restarts)?;
                self.max_restarts.set(value, span, errors);
            }
            "within" => {
                let value = duration_value(meta, errors, nonzero_window)?;
                self.within.set(value, span, errors);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}
