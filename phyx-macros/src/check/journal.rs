//! `#[apply]`, `#[snapshot]` and `#[restore]`: the methods of an
//! event-sourced process (`#[process(journal)]`), and how they go together.

use syn::{Attribute, FnArg, ImplItemFn, ReturnType, Type};

use super::signature;
use crate::attr::{ProcessOptions, Role};
use crate::errors::Errors;
use crate::model::{Apply, Methods, SnapshotMethod};

/// Puts the method marked `role` in its slot of `methods`, if it is well
/// formed and the first of its kind.
pub(super) fn method(role: Role, marker: &Attribute, method: &ImplItemFn, methods: &mut Methods, errors: &mut Errors) {
    let before = errors.count();
    methods.journal_markers.push((role, marker.clone()));
    signature::common(method, role.marker(), errors);
    let sig = &method.sig;
    if let Some(asyncness) = &sig.asyncness {
        errors.spanned(
            asyncness,
            format!(
                "`#[{}]` runs during a replay, with nothing to wait for: remove `async` (persist in a `#[public]` method, with `ctx.persist`)",
                role.marker()
            ),
        );
    }
    let receiver_mut = matches!(sig.inputs.first(), Some(FnArg::Receiver(receiver)) if receiver.mutability.is_some());
    let typed: Vec<&syn::PatType> = sig
        .inputs
        .iter()
        .filter_map(|input| match input {
            FnArg::Typed(typed) => Some(typed),
            FnArg::Receiver(_) => None,
        })
        .collect();
    let existing = match role {
        Role::Apply => methods.apply.as_ref().map(|apply| &apply.ident),
        Role::Snapshot => methods.snapshot.as_ref().map(|snapshot| &snapshot.ident),
        _ => methods.restore.as_ref().map(|restore| &restore.ident),
    };
    if let Some(existing) = existing {
        errors.spanned(
            marker,
            format!(
                "a process has one `#[{}]` method and `{existing}` is already it; merge the two",
                role.marker()
            ),
        );
        return;
    }
    match role {
        Role::Apply => {
            if !receiver_mut {
                receiver_error(sig, "`#[apply]` changes the state: take `&mut self`", errors);
            }
            returns_nothing(sig, "apply", errors);
            let [event] = typed[..] else {
                let message = "`#[apply]` takes the event and nothing else: `fn apply(&mut self, event: MyEvent)`";
                match typed.get(1) {
                    Some(extra) => errors.spanned(extra, message),
                    None => errors.spanned(&sig.ident, message),
                }
                return;
            };
            let (ty, by_ref) = match &*event.ty {
                Type::Reference(reference) if reference.mutability.is_none() && reference.lifetime.is_none() => {
                    ((*reference.elem).clone(), true)
                }
                Type::Reference(reference) => {
                    errors.spanned(
                        reference,
                        "take the event by value or as `&MyEvent`: an event is applied as it was persisted",
                    );
                    return;
                }
                ty => (ty.clone(), false),
            };
            if errors.count() == before {
                methods.apply = Some(Apply {
                    ident: sig.ident.clone(),
                    event: ty,
                    by_ref,
                });
            }
        }
        Role::Snapshot => {
            if receiver_mut {
                receiver_error(sig, "`#[snapshot]` reads the state: take `&self`", errors);
            }
            if let Some(extra) = typed.first() {
                errors.spanned(
                    extra,
                    "`#[snapshot]` takes only `&self` and returns the snapshot: `fn snapshot(&self) -> MySnapshot`",
                );
            }
            let ReturnType::Type(_, ty) = &sig.output else {
                errors.spanned(
                    &sig.ident,
                    "`#[snapshot]` returns the snapshot: `fn snapshot(&self) -> MySnapshot`",
                );
                return;
            };
            if errors.count() == before {
                methods.snapshot = Some(SnapshotMethod {
                    ident: sig.ident.clone(),
                    ty: (**ty).clone(),
                });
            }
        }
        _ => {
            if !receiver_mut {
                receiver_error(sig, "`#[restore]` sets the state: take `&mut self`", errors);
            }
            returns_nothing(sig, "restore", errors);
            let [snapshot] = typed[..] else {
                let message =
                    "`#[restore]` takes the snapshot and nothing else: `fn restore(&mut self, snapshot: MySnapshot)`";
                match typed.get(1) {
                    Some(extra) => errors.spanned(extra, message),
                    None => errors.spanned(&sig.ident, message),
                }
                return;
            };
            if errors.count() == before {
                methods.restore = Some(SnapshotMethod {
                    ident: sig.ident.clone(),
                    ty: (*snapshot.ty).clone(),
                });
            }
        }
    }
}

fn receiver_error(sig: &syn::Signature, message: &str, errors: &mut Errors) {
    // Without one, `signature::common` said to add it.
    if let Some(receiver @ FnArg::Receiver(_)) = sig.inputs.first() {
        errors.spanned(receiver, message);
    }
}

fn returns_nothing(sig: &syn::Signature, marker: &str, errors: &mut Errors) {
    if let ReturnType::Type(_, ty) = &sig.output {
        errors.spanned(ty, format!("`#[{marker}]` returns nothing; remove the return type"));
    }
}

/// How the journal's option and methods go together: `journal` needs an
/// `#[apply]`, the methods need `journal`, a snapshot needs its restore.
pub(super) fn link(options: &ProcessOptions, methods: &Methods, errors: &mut Errors) {
    let marker = |role: Role| {
        methods
            .journal_markers
            .iter()
            .find(|(written, _)| *written == role)
            .map(|(_, marker)| marker)
    };
    let Some(journal) = options.journal else {
        for (role, marker) in &methods.journal_markers {
            errors.spanned(
                marker,
                format!(
                    "`#[{}]` is for event-sourced processes: write `#[process(journal)]` on the impl",
                    role.marker()
                ),
            );
        }
        return;
    };
    if marker(Role::Apply).is_none() {
        errors.push(syn::Error::new(
            journal,
            "an event-sourced process says how an event changes its state: add a method `#[apply] fn apply(&mut self, event: MyEvent)`",
        ));
    }
    match (marker(Role::Snapshot), marker(Role::Restore)) {
        (Some(snapshot), None) => errors.spanned(
            snapshot,
            "a snapshot is restored at the next start: add `#[restore] fn restore(&mut self, snapshot: MySnapshot)`",
        ),
        (None, Some(restore)) => errors.spanned(
            restore,
            "a snapshot to restore is made by a `#[snapshot]` method: add `#[snapshot] fn snapshot(&self) -> MySnapshot`",
        ),
        _ => {}
    }
    if let (Some((_, every)), None) = (options.snapshot_every, marker(Role::Snapshot)) {
        errors.push(syn::Error::new(
            every,
            "`snapshot_every` saves what a `#[snapshot]` method returns: add `#[snapshot] fn snapshot(&self) -> MySnapshot` and its `#[restore]`",
        ));
    }
}
