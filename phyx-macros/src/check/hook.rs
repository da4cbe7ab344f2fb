//! `#[on_start]`, `#[on_stop]` and `#[on_down]`: what a lifecycle hook
//! may take and return.

use syn::spanned::Spanned;
use syn::{FnArg, ImplItemFn, ReturnType, Type};

use super::signature;
use super::types::{ctx_param, reply_param};
use crate::attr::Role;
use crate::errors::Errors;
use crate::model::{Hook, Target};

pub(super) fn hook(role: Role, method: &ImplItemFn, target: &Target, errors: &mut Errors) -> Option<Hook> {
    let sig = &method.sig;
    let before = errors.count();
    signature::common(method, role.marker(), errors);
    let shape = match role {
        Role::OnStop => {
            "`#[on_stop]` takes `&mut self`, optionally `ctx: &mut Ctx<Self>`, and optionally `reason: StopReason`"
        }
        Role::OnDown => "`#[on_down]` takes `&self` or `&mut self`, optionally `ctx: &mut Ctx<Self>`, and `down: Down`",
        _ => "`#[on_start]` takes `&mut self` and optionally `ctx: &mut Ctx<Self>`",
    };
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
                format!(
                    "`#[{}]` hooks have no caller to reply to; remove the `Reply` parameter (a `#[public]` method can take one)",
                    role.marker()
                ),
            );
        } else if role == Role::OnStop && !params.contains(&false) {
            if !is_stop_reason(&typed.ty) {
                errors.spanned(
                    &typed.ty,
                    "the stop hook's reason is a `phyx::StopReason`; write `reason: StopReason`",
                );
            }
            params.push(false);
        } else if role == Role::OnDown && !params.contains(&false) {
            if !is_down(&typed.ty) {
                errors.spanned(
                    &typed.ty,
                    "the down hook's parameter is a `phyx::Down`, which says which process stopped and why; write `down: Down`",
                );
            }
            params.push(false);
        } else {
            errors.spanned(typed, format!("{shape}; remove this parameter"));
        }
    }
    if role == Role::OnDown && !params.contains(&false) {
        errors.spanned(
            &sig.ident,
            "`#[on_down]` hears which process stopped from a `Down`; add a parameter `down: Down`",
        );
    }
    if matches!(role, Role::OnStop | Role::OnDown) {
        if let ReturnType::Type(_, ty) = &sig.output {
            errors.spanned(
                ty,
                format!("`#[{}]` returns nothing; remove the return type", role.marker()),
            );
        }
    }
    if errors.count() > before {
        return None;
    }
    Some(Hook {
        ident: sig.ident.clone(),
        is_async: sig.asyncness.is_some(),
        params,
        output_span: match &sig.output {
            ReturnType::Default => sig.ident.span(),
            ReturnType::Type(_, ty) => ty.span(),
        },
    })
}

fn is_down(ty: &Type) -> bool {
    matches!(ty, Type::Path(path) if path.path.segments.last().is_some_and(|last| last.ident == "Down"))
}

fn is_stop_reason(ty: &Type) -> bool {
    matches!(ty, Type::Path(path) if path.path.segments.last().is_some_and(|last| last.ident == "StopReason"))
}
