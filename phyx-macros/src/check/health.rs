//! `#[health_check]`: what a process's health check may take and return,
//! and that a process has one.

use syn::spanned::Spanned;
use syn::{Attribute, FnArg, ImplItemFn, ReturnType};

use super::signature;
use super::types::{ctx_param, reply_param};
use crate::errors::Errors;
use crate::model::{Hook, Methods, Target};

const SHAPE: &str = "a health check takes `&self` and optionally `ctx: &mut Ctx<Self>`";

/// Takes the check into `methods`, unless it has one already.
pub(super) fn method(
    marker: &Attribute,
    method: &ImplItemFn,
    target: &Target,
    methods: &mut Methods,
    errors: &mut Errors,
) {
    if let Some(existing) = &methods.health {
        errors.spanned(
            marker,
            format!(
                "a process has one `#[health_check]` and `{}` is already it; merge the two checks into one method",
                existing.ident
            ),
        );
        return;
    }
    methods.health = check(method, target, errors);
}

fn check(method: &ImplItemFn, target: &Target, errors: &mut Errors) -> Option<Hook> {
    let sig = &method.sig;
    let before = errors.count();
    signature::common(method, "health_check", errors);
    if let Some(FnArg::Receiver(receiver)) = sig.inputs.first() {
        if receiver.reference.is_some() && receiver.mutability.is_some() {
            errors.spanned(
                receiver,
                "a health check looks at the process without changing it; take `&self`",
            );
        }
    }
    let mut params = Vec::new();
    let mut ctx_seen = false;
    for input in &sig.inputs {
        let FnArg::Typed(typed) = input else { continue };
        if let Some(ctx) = ctx_param(&typed.ty) {
            signature::ctx(&ctx, &mut ctx_seen, typed, target, errors);
            params.push(true);
        } else if reply_param(&typed.ty).is_some() {
            errors.spanned(
                typed,
                "a health check answers by returning its `Health`, not through a `Reply`; remove this parameter",
            );
        } else {
            errors.spanned(
                typed,
                format!("{SHAPE}: `system.health()` passes it nothing else; remove this parameter"),
            );
        }
    }
    let output_span = match &sig.output {
        ReturnType::Type(_, ty) => ty.span(),
        ReturnType::Default => {
            errors.spanned(
                &sig.ident,
                "a health check returns `phyx::Health`: write `fn health(&self) -> Health`",
            );
            sig.ident.span()
        }
    };
    if errors.count() > before {
        return None;
    }
    Some(Hook {
        ident: sig.ident.clone(),
        is_async: sig.asyncness.is_some(),
        params,
        output_span,
    })
}
