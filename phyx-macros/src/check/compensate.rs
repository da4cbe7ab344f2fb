//! `#[compensate(undo)]`: the undo is a `#[public]` method of the same
//! impl, and takes what the step it undoes produced.

use syn::{GenericArgument, Ident, ImplItem, ItemImpl, PathArguments, Type};

use crate::errors::Errors;
use crate::model::{Handler, UndoArgs};
use crate::spelling::closest;

/// Checks every `#[compensate(undo)]` against its undo and records how to
/// call it. `public` names every `#[public]` method, handlers or not (one
/// the rules rejected is already reported).
pub(super) fn link(handlers: &mut [Handler], public: &[&Ident], item: &ItemImpl, errors: &mut Errors) {
    let undos: Vec<_> = handlers
        .iter()
        .map(|handler| {
            let takes_key: Vec<bool> = handler.fields().map(|(_, ty)| is_step_key(ty)).collect();
            (handler.ident.clone(), takes_key)
        })
        .collect();
    for handler in handlers.iter_mut() {
        let Some(undo) = &handler.compensate else { continue };
        let step = &handler.ident;
        let Some(value) = success_value(&handler.output) else {
            errors.spanned(
                &handler.output,
                format!(
                    "a saga must tell a failed `{step}` from a done one to know what to undo: make it return `Result<T, E>` (or nothing)"
                ),
            );
            continue;
        };
        if undo == step {
            errors.spanned(
                undo,
                format!("`{step}` cannot undo itself; name the `#[public]` method that reverses it, e.g. `#[compensate(release)]`"),
            );
            continue;
        }
        let Some((_, takes_key)) = undos.iter().find(|(ident, _)| ident == undo) else {
            missing(undo, step, &undos, public, item, errors);
            continue;
        };
        handler.undo = match (value.is_some(), takes_key.as_slice()) {
            (_, []) => Some(UndoArgs::Nothing),
            (_, [true]) => Some(UndoArgs::Key),
            (true, [false]) => Some(UndoArgs::Value),
            (true, [_, _]) => Some(UndoArgs::KeyValue),
            (false, _) => {
                errors.spanned(
                    undo,
                    format!(
                        "`{undo}` cannot undo `{step}`: `{step}` returns no value, so its undo takes the step's key or nothing, e.g. `fn {undo}(&mut self, key: StepKey)`"
                    ),
                );
                None
            }
            (true, _) => {
                errors.spanned(
                    undo,
                    format!(
                        "`{undo}` cannot undo `{step}`: an undo takes the step's key and the value `{step}` returns in `Ok`, e.g. `fn {undo}(&mut self, key: StepKey, value: T)`, or one of them, or nothing"
                    ),
                );
                None
            }
        };
    }
}

/// Whether `ty` names phyx's `StepKey`, which an undo may take alone.
fn is_step_key(ty: &Type) -> bool {
    matches!(ty, Type::Path(path) if path.qself.is_none() && path.path.segments.last().is_some_and(|last| last.ident == "StepKey"))
}

/// `Some(Some(T))` for `Result<T, E>`, `Some(None)` for `()` and
/// `Result<(), E>`, `None` for a reply that cannot fail.
fn success_value(output: &Type) -> Option<Option<&Type>> {
    let is_unit = |ty: &Type| matches!(ty, Type::Tuple(tuple) if tuple.elems.is_empty());
    if is_unit(output) {
        return Some(None);
    }
    let Type::Path(path) = output else { return None };
    let last = path.path.segments.last().filter(|last| last.ident == "Result")?;
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    let Some(GenericArgument::Type(value)) = args.args.first() else {
        return None;
    };
    Some((!is_unit(value)).then_some(value))
}

fn missing(
    undo: &Ident,
    step: &Ident,
    undos: &[(Ident, Vec<bool>)],
    public: &[&Ident],
    item: &ItemImpl,
    errors: &mut Errors,
) {
    // A `#[public]` method that is no handler: its errors are reported.
    let public_with_errors = public.contains(&undo);
    if public_with_errors {
        return;
    }
    let exists = item
        .items
        .iter()
        .any(|item| matches!(item, ImplItem::Fn(method) if method.sig.ident == *undo));
    if exists {
        errors.spanned(
            undo,
            format!(
                "`{undo}` undoes `{step}` in a saga, so it must be `#[public]` too: add `#[public]` to `fn {undo}`"
            ),
        );
        return;
    }
    let names: Vec<String> = undos.iter().map(|(ident, _)| ident.to_string()).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let hint = closest(&undo.to_string(), &names)
        .map(|name| format!(" (did you mean `{name}`?)"))
        .unwrap_or_default();
    errors.spanned(
        undo,
        format!("no method `{undo}` in this impl{hint}; `#[compensate(...)]` names the `#[public]` method of the same impl that undoes `{step}`"),
    );
}
