//! `#[supervisor(...)]`: the strategy and restart limit of a supervisor.

use std::time::Duration;

use proc_macro2::TokenStream;
use syn::{Ident, LitStr, Path};

use super::common::{Common, Examples};
use super::option::{Slot, choice, skip_value, unknown_option};
use crate::errors::Errors;

/// `#[supervisor(...)]`; `None` is an option not written.
pub(crate) struct SupervisorOptions {
    pub(crate) krate: Option<Path>,
    pub(crate) name: Option<LitStr>,
    /// The runtime's `Strategy` variant.
    pub(crate) strategy: Option<Ident>,
    pub(crate) max_restarts: Option<u32>,
    pub(crate) within: Option<Duration>,
}

const KEYS: &[&str] = &["strategy", "max_restarts", "within", "name", "crate"];

const EXAMPLES: Examples = Examples {
    name: "a string, e.g. `name = \"shop\"`",
    max_restarts: "a whole number, e.g. `max_restarts = 3`",
};

impl SupervisorOptions {
    /// Parses `#[supervisor(...)]`'s arguments, recording every error and
    /// keeping what parsed.
    pub(crate) fn parse(args: TokenStream, errors: &mut Errors) -> Self {
        let mut common = Common::new();
        let mut strategy = Slot::new("strategy");
        common.parse_each(args, errors, &EXAMPLES, |meta, key, span, errors| {
            match key {
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
                "remote" => {
                    errors.spanned(
                        &meta.path,
                        "a supervisor and its children run on one node: remove `remote` here, and write `#[process(remote)]` on the impl of each child that other nodes call",
                    );
                    skip_value(meta)?;
                }
                _ => unknown_option(
                    meta,
                    key,
                    "supervisor",
                    (KEYS, "`strategy`, `max_restarts`, `within`, `name`, `crate`"),
                    errors,
                )?,
            }
            Ok(())
        });
        let (krate, name, max_restarts, within) = common.finish();
        Self {
            krate,
            name,
            strategy: strategy.get(),
            max_restarts,
            within,
        }
    }
}
