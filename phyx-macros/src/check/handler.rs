//! A process's methods: each `#[public]` method becomes a handler (one
//! message, one handle method) with its guards; the hooks and the health
//! check are at most one of each.

use syn::spanned::Spanned;
use syn::{FnArg, Ident, ImplItemFn, Pat, ReturnType, Type};

use super::health;
use super::hook::hook;
use super::idempotent;
use super::journal;
use super::signature;
use super::types::{ctx_param, find_borrow, find_impl_trait, is_envelope, owned, replace_self, reply_param};
use crate::attr::{Guard, GuardOptions, Role};
use crate::case::pascal_case;
use crate::errors::Errors;
use crate::model::{Handler, Method, Methods, Param, Target};

pub(super) fn methods(marked: Vec<Method<'_>>, target: &Target, errors: &mut Errors) -> Methods {
    let mut methods = Methods::default();
    for Method {
        role,
        marker,
        method,
        guards,
        ..
    } in marked
    {
        match role {
            Role::Public => {
                if let Some(mut handler) = handler(method, target, errors) {
                    resilience(&mut handler, method, guards, errors);
                    if let Some(twin) = methods.handlers.iter().find(|h| h.variant == handler.variant) {
                        errors.spanned(
                            &method.sig.ident,
                            format!(
                                "`{}` and `{}` both become the message `{}`; rename one of them",
                                twin.ident, handler.ident, handler.variant
                            ),
                        );
                    } else {
                        methods.handlers.push(handler);
                    }
                }
            }
            Role::Apply | Role::Snapshot | Role::Restore => journal::method(role, &marker, method, &mut methods, errors),
            Role::HealthCheck => health::method(&marker, method, target, &mut methods, errors),
            Role::Child => errors.spanned(
                marker,
                "`#[child]` goes on a method of a `#[supervisor]` impl; in a `#[process]`, spawn children with `ctx.spawn(...)`",
            ),
            Role::OnStart | Role::OnStop | Role::OnDown => {
                let slot = match role {
                    Role::OnStart => &mut methods.on_start,
                    Role::OnStop => &mut methods.on_stop,
                    _ => &mut methods.on_down,
                };
                let hook = hook(role, method, target, errors);
                if let Some(existing) = slot {
                    errors.spanned(
                        marker,
                        format!(
                            "a process has one `#[{}]` hook and `{}` is already it; merge the two methods",
                            role.marker(),
                            existing.ident
                        ),
                    );
                } else {
                    *slot = hook;
                }
            }
        }
    }
    methods
}

fn handler(method: &ImplItemFn, target: &Target, errors: &mut Errors) -> Option<Handler> {
    let sig = &method.sig;
    let before = errors.count();
    signature::common(method, "public", errors);
    if sig.ident == "clone" {
        errors.spanned(
            &sig.ident,
            "a `#[public]` method named `clone` would hide `Clone::clone` on the handle; rename it",
        );
    }
    let mut params = Vec::new();
    let mut ctx_seen = false;
    // The `R` of a `Reply<R>` parameter: the reply, sent later.
    let mut later: Option<Type> = None;
    for (index, input) in sig.inputs.iter().enumerate() {
        let FnArg::Typed(typed) = input else { continue };
        if let Some(ctx) = ctx_param(&typed.ty) {
            signature::ctx(&ctx, &mut ctx_seen, typed, target, errors);
            params.push(Param::Ctx);
            continue;
        }
        if is_envelope(&typed.ty) {
            if params.iter().any(|param| matches!(param, Param::Envelope)) {
                errors.spanned(
                    typed,
                    "a method takes at most one `Envelope` parameter, the one its message came in; remove this one",
                );
            } else {
                params.push(Param::Envelope);
            }
            continue;
        }
        if let Some(reply) = reply_param(&typed.ty) {
            if later.is_some() {
                errors.spanned(
                    typed,
                    "a method takes at most one `Reply<R>` parameter, its own reply; remove this one (to take another caller's `Reply` as an argument, wrap it in a type of your own)",
                );
            } else if reply_type_ok(reply, errors) {
                let mut reply = reply.clone();
                replace_self(&mut reply, &target.self_ty);
                later = Some(reply);
                params.push(Param::Reply);
            }
            continue;
        }
        let field = match &*typed.pat {
            Pat::Ident(pat) if pat.by_ref.is_none() && pat.subpat.is_none() => pat.ident.clone(),
            Pat::Wild(wild) => Ident::new(&format!("__phyx_arg{index}"), wild.span()),
            pat => {
                errors.spanned(pat, "name each argument of a `#[public]` method plainly (`point: Point`) and destructure it in the body");
                continue;
            }
        };
        if let Some(tokens) = find_impl_trait(&typed.ty) {
            errors.spanned(
                tokens,
                "arguments of `#[public]` methods travel in a message and need a concrete type; replace `impl Trait` with a concrete type or `Box<dyn Trait + Send>`",
            );
            continue;
        }
        if let Some(tokens) = find_borrow(&typed.ty) {
            errors.spanned(
                tokens,
                format!(
                    "arguments of `#[public]` methods travel in a message to another task and cannot borrow; take `{}` instead",
                    owned(&typed.ty)
                ),
            );
            continue;
        }
        let mut ty = (*typed.ty).clone();
        replace_self(&mut ty, &target.self_ty);
        params.push(Param::Value {
            field,
            ty: Box::new(ty),
        });
    }
    let output = match (&sig.output, later) {
        (ReturnType::Default, None) => syn::parse_quote!(()),
        (ReturnType::Default, Some(later)) => later,
        (ReturnType::Type(_, ty), Some(later)) => {
            if !matches!(&**ty, Type::Tuple(unit) if unit.elems.is_empty()) {
                errors.spanned(
                    ty,
                    "a method that replies later returns nothing: its caller gets what it sends through its `Reply`; remove the return type, or the `Reply` parameter",
                );
            }
            later
        }
        (ReturnType::Type(_, ty), None) => {
            reply_type_ok(ty, errors);
            let mut ty = (**ty).clone();
            replace_self(&mut ty, &target.self_ty);
            ty
        }
    };
    if errors.count() > before {
        return None;
    }
    Some(Handler {
        ident: sig.ident.clone(),
        variant: pascal_case(&sig.ident),
        vis: method.vis.clone(),
        docs: signature::docs(method),
        is_async: sig.asyncness.is_some(),
        params,
        output,
        breaker: None,
        rate: None,
        compensate: None,
        undo: None,
        cache: None,
        validate: None,
        idempotent: None,
        trace: None,
        traced: false,
    })
}

/// Whether a reply type (returned, or a `Reply<R>`'s `R`) can travel to
/// the caller: a concrete, owned type.
fn reply_type_ok(ty: &Type, errors: &mut Errors) -> bool {
    if let Some(tokens) = find_impl_trait(ty) {
        errors.spanned(tokens, "the reply of a `#[public]` method needs a concrete type; replace `impl Trait` with the type it stands for or `Box<dyn Trait + Send>`");
    } else if let Some(tokens) = find_borrow(ty) {
        errors.spanned(
            tokens,
            format!(
                "the reply travels to the caller's task and cannot borrow from the process; return `{}` (an owned value or a clone)",
                owned(ty)
            ),
        );
    } else {
        return true;
    }
    false
}

/// Takes `#[circuit_breaker]`, `#[rate_limit]`, `#[compensate]`,
/// `#[cache]`, `#[validate]`, `#[idempotent]` and `#[trace]` into the
/// handler, one of each; the `key` of a rate limit or of an idempotent
/// method must name an argument.
fn resilience(handler: &mut Handler, method: &ImplItemFn, guards: Vec<Guard>, errors: &mut Errors) {
    for guard in guards {
        let taken = match guard.options {
            GuardOptions::CircuitBreaker(_) => handler.breaker.is_some(),
            GuardOptions::Compensate(_) => handler.compensate.is_some(),
            GuardOptions::RateLimit(_) => handler.rate.is_some(),
            GuardOptions::Cache(_) => handler.cache.is_some(),
            GuardOptions::Validate(_) => handler.validate.is_some(),
            GuardOptions::Idempotent(_) => handler.idempotent.is_some(),
            GuardOptions::Trace(_) => handler.trace.is_some(),
        };
        if taken {
            errors.spanned(
                &guard.attr,
                format!("duplicate `#[{}]`; a method has one", guard.name()),
            );
            continue;
        }
        match guard.options {
            GuardOptions::Compensate(undo) => handler.compensate = undo.report(errors),
            GuardOptions::CircuitBreaker(breaker) => handler.breaker = breaker.report(errors),
            GuardOptions::Idempotent(options) => {
                handler.idempotent = options
                    .report(errors)
                    .and_then(|options| idempotent::keyed(handler, options, errors));
            }
            GuardOptions::Trace(bare) => {
                bare.report(errors);
                handler.trace = Some(guard.attr);
            }
            GuardOptions::RateLimit(rate) => {
                let Some(rate) = rate.report(errors) else { continue };
                if let Some(key) = &rate.key {
                    if !handler.fields().any(|(field, _)| field == key) {
                        errors.spanned(
                            key,
                            format!(
                                "`{}` has no argument `{key}` to key the rate limit by; its arguments are {}",
                                handler.ident,
                                arguments(handler)
                            ),
                        );
                        continue;
                    }
                }
                handler.rate = Some(rate);
            }
            GuardOptions::Cache(cache) => {
                let Some(cache) = cache.report(errors) else { continue };
                if cache_fits(handler, method, &guard.attr, errors) {
                    handler.cache = Some(cache);
                }
            }
            GuardOptions::Validate(validate) => {
                let Some(validate) = validate.report(errors) else {
                    continue;
                };
                if handler.fields().next().is_none() {
                    errors.spanned(
                        &guard.attr,
                        format!("`{}` has no arguments to validate; remove `#[validate]`", handler.ident),
                    );
                    continue;
                }
                handler.validate = Some(validate);
            }
        }
    }
}

/// `a`, `b` or "none", for messages.
fn arguments(handler: &Handler) -> String {
    let arguments: Vec<String> = handler.fields().map(|(field, _)| format!("`{field}`")).collect();
    if arguments.is_empty() {
        "none".to_owned()
    } else {
        arguments.join(", ")
    }
}

/// Whether `#[cache]` can answer calls of `handler` in its place: a method
/// that changes nothing. (That `errors` has `Err`s to keep is a type
/// check: see `expand/decided.rs`.)
fn cache_fits(handler: &Handler, method: &ImplItemFn, attr: &syn::Attribute, errors: &mut Errors) -> bool {
    let ident = &handler.ident;
    if method
        .sig
        .receiver()
        .is_some_and(|receiver| receiver.mutability.is_some())
    {
        errors.spanned(
            attr,
            format!(
                "`#[cache]` answers calls of `{ident}` without running it, so it goes on a method that changes nothing: make `{ident}` take `&self`, or remove `#[cache]`"
            ),
        );
        return false;
    }
    true
}
