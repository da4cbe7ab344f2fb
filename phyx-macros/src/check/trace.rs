//! `#[trace]` and `#[process(trace)]`: which handlers are traced.

use crate::attr::ProcessOptions;
use crate::errors::Errors;
use crate::model::Handler;

/// Marks the traced handlers: those with `#[trace]`, or all of them under
/// `#[process(trace)]`, where a `#[trace]` of its own says nothing more
/// and is an error (a reader would look for what it adds; one spelling
/// per meaning).
pub(super) fn link(options: &ProcessOptions, handlers: &mut [Handler], errors: &mut Errors) {
    for handler in handlers {
        match (&handler.trace, options.trace) {
            (Some(attr), Some(_)) => errors.spanned(
                attr,
                "`#[process(trace)]` traces every `#[public]` method of this process already; remove `#[trace]` (or `trace` from `#[process(...)]`, to trace only the methods marked `#[trace]`)",
            ),
            (None, None) => continue,
            _ => {}
        }
        handler.traced = true;
    }
}
