//! `#[child(...)]`: a child's spawn options, those of `#[process(...)]`
//! but `crate`, which the supervisor names for all its children.

use proc_macro2::TokenStream;
use syn::Attribute;

use super::ProcessOptions;
use crate::errors::Errors;

/// Parses the options of a `#[child]` marker (none for a bare one).
pub(super) fn options(marker: &Attribute, errors: &mut Errors) -> ProcessOptions {
    match &marker.meta {
        syn::Meta::List(list) => {
            let options = ProcessOptions::parse(list.tokens.clone(), errors);
            if let Some(krate) = &options.krate {
                errors.spanned(krate, "`crate` goes on `#[supervisor(crate = ...)]`, not on a child");
            }
            if let Some(remote) = options.remote {
                errors.push(syn::Error::new(
                    remote,
                    "`remote` goes on the child's own `#[process(remote)]`, not on `#[child]`",
                ));
            }
            if let Some(durable) = options.durable {
                errors.push(syn::Error::new(
                    durable,
                    "`durable` goes on the child's own `#[process(remote, durable)]`, not on `#[child]`",
                ));
            }
            if let Some(journal) = options.journal {
                errors.push(syn::Error::new(
                    journal,
                    "`journal` goes on the child's own `#[process(journal)]`, not on `#[child]`",
                ));
            }
            if let Some(trace) = options.trace {
                errors.push(syn::Error::new(
                    trace,
                    "`trace` goes on the child's own `#[process(trace)]` (or `#[trace]` on its methods), not on `#[child]`",
                ));
            }
            if let Some((_, every)) = options.snapshot_every {
                errors.push(syn::Error::new(
                    every,
                    "`snapshot_every` goes on the child's own `#[process(journal, snapshot_every = ...)]`, not on `#[child]`",
                ));
            }
            options
        }
        syn::Meta::NameValue(meta) => {
            errors.spanned(
                meta,
                "write child options in parentheses: `#[child(restart = transient)]`",
            );
            ProcessOptions::parse(TokenStream::new(), errors)
        }
        syn::Meta::Path(_) => ProcessOptions::parse(TokenStream::new(), errors),
    }
}
