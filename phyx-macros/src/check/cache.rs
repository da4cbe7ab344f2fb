//! `#[cache(invalidated_by = put)]`: each method named is a `#[public]`
//! method of the same impl, other than the cached one.

use syn::{Ident, ImplItem, ItemImpl};

use crate::errors::Errors;
use crate::model::Handler;
use crate::spelling::closest;

/// Checks every name in every `invalidated_by`, dropping those that are
/// wrong (reported). `public` names every `#[public]` method, handlers or
/// not (one the rules rejected is already reported).
pub(super) fn link(handlers: &mut [Handler], public: &[&Ident], item: &ItemImpl, errors: &mut Errors) {
    let names: Vec<String> = handlers.iter().map(|handler| handler.ident.to_string()).collect();
    for handler in handlers.iter_mut() {
        let cached = handler.ident.clone();
        let Some(cache) = &mut handler.cache else { continue };
        cache.invalidated_by.retain(|method| {
            if *method == cached {
                errors.spanned(
                    method,
                    format!("`{cached}` changes nothing, so it cannot make its own replies stale; name the method that changes what `{cached}` returns"),
                );
                return false;
            }
            if names.iter().any(|name| method == name) {
                return true;
            }
            if !public.contains(&method) {
                missing(method, &cached, &names, item, errors);
            }
            false
        });
    }
}

fn missing(method: &Ident, cached: &Ident, names: &[String], item: &ItemImpl, errors: &mut Errors) {
    let exists = item
        .items
        .iter()
        .any(|item| matches!(item, ImplItem::Fn(candidate) if candidate.sig.ident == *method));
    if exists {
        errors.spanned(
            method,
            format!("only calls through the handle empty the cache, and `{method}` is not `#[public]`: add `#[public]` to `fn {method}`, or empty the cache by restarting"),
        );
        return;
    }
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let hint = closest(&method.to_string(), &names)
        .map(|name| format!(" (did you mean `{name}`?)"))
        .unwrap_or_default();
    errors.spanned(
        method,
        format!("no method `{method}` in this impl{hint}; `invalidated_by` names the `#[public]` methods whose calls make the replies of `{cached}` stale"),
    );
}
