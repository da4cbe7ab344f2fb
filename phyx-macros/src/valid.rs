//! The rules a `#[process]` impl and its marked methods must follow, and
//! the checked model the expansion works from.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Attribute, FnArg, Ident, ImplItemFn, ItemImpl, Pat, ReturnType, Type, Visibility};

use crate::ast::{Marked, Role};
use crate::attr::{
    BreakerOptions, ProcessOptions, RateOptions, breaker_options, compensate_options, process_options, rate_options,
};
use crate::case::pascal_case;
use crate::compensate::UndoArgs;
use crate::errors::Errors;
use crate::types::{CtxParam, ctx_param, find_borrow, find_impl_trait, names_type, owned, replace_self};

/// The process type of the impl.
pub(crate) struct Target {
    pub(crate) ident: Ident,
    pub(crate) self_ty: Type,
}

/// A `#[public]` method.
pub(crate) struct Handler {
    pub(crate) ident: Ident,
    pub(crate) variant: Ident,
    pub(crate) vis: Visibility,
    pub(crate) docs: Vec<Attribute>,
    pub(crate) is_async: bool,
    pub(crate) params: Vec<Param>,
    /// The reply type, with `Self` spelled out.
    pub(crate) output: Type,
    pub(crate) breaker: Option<BreakerOptions>,
    pub(crate) rate: Option<RateOptions>,
    /// The undo named by `#[compensate(undo)]`.
    pub(crate) compensate: Option<Ident>,
    /// How to call it, once checked against the undo's signature.
    pub(crate) undo: Option<UndoArgs>,
}

pub(crate) enum Param {
    Ctx,
    Value { field: Ident, ty: Box<Type> },
}

impl Handler {
    pub(crate) fn fields(&self) -> impl Iterator<Item = (&Ident, &Type)> {
        self.params.iter().filter_map(|param| match param {
            Param::Ctx => None,
            Param::Value { field, ty } => Some((field, &**ty)),
        })
    }
}

/// An `#[on_start]` or `#[on_stop]` method.
pub(crate) struct Hook {
    pub(crate) ident: Ident,
    pub(crate) is_async: bool,
    /// `true` for the context, `false` for the stop reason.
    pub(crate) params: Vec<bool>,
    pub(crate) output_span: Span,
}

#[derive(Default)]
pub(crate) struct Methods {
    pub(crate) handlers: Vec<Handler>,
    pub(crate) on_start: Option<Hook>,
    pub(crate) on_stop: Option<Hook>,
}

pub(crate) fn target(item: &ItemImpl, errors: &mut Errors) -> Option<Target> {
    if let Some((_, path, _)) = &item.trait_ {
        errors.spanned(
            path,
            "`#[process]` goes on the inherent impl of the process type (`impl Counter { ... }`), not on a trait impl",
        );
        return None;
    }
    let lifetimes: Vec<_> = item.generics.lifetimes().collect();
    for lifetime in &lifetimes {
        errors.spanned(
            lifetime,
            "a process owns its state and cannot borrow; remove the lifetime parameter and store owned data (`String`, `Arc<T>`)",
        );
    }
    if !lifetimes.is_empty() {
        return None;
    }
    let Type::Path(path) = &*item.self_ty else {
        errors.spanned(
            &item.self_ty,
            "`#[process]` goes on the impl of a named struct or enum, e.g. `impl Counter { ... }`",
        );
        return None;
    };
    let Some(last) = path.path.segments.last().filter(|_| path.qself.is_none()) else {
        errors.spanned(
            &item.self_ty,
            "`#[process]` goes on the impl of a named struct or enum, e.g. `impl Counter { ... }`",
        );
        return None;
    };
    Some(Target {
        ident: last.ident.clone(),
        self_ty: (*item.self_ty).clone(),
    })
}

pub(crate) fn methods(marked: &[Marked], target: &Target, errors: &mut Errors) -> Methods {
    let mut methods = Methods::default();
    for Marked {
        role,
        marker,
        method,
        guards,
    } in marked
    {
        match role {
            Role::Public => {
                if let Some(mut handler) = handler(method, target, errors) {
                    resilience(&mut handler, guards, errors);
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
            Role::Child => errors.spanned(
                marker,
                "`#[child]` goes on a method of a `#[supervisor]` impl; in a `#[process]`, spawn children with `ctx.spawn(...)`",
            ),
            Role::OnStart | Role::OnStop => {
                let slot = if *role == Role::OnStart {
                    &mut methods.on_start
                } else {
                    &mut methods.on_stop
                };
                let hook = hook(*role, method, target, errors);
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
    common_signature(method, "public", errors);
    if sig.ident == "clone" {
        errors.spanned(
            &sig.ident,
            "a `#[public]` method named `clone` would hide `Clone::clone` on the handle; rename it",
        );
    }
    let mut params = Vec::new();
    let mut ctx_seen = false;
    for (index, input) in sig.inputs.iter().enumerate() {
        let FnArg::Typed(typed) = input else { continue };
        if let Some(ctx) = ctx_param(&typed.ty) {
            check_ctx(&ctx, &mut ctx_seen, typed, target, errors);
            params.push(Param::Ctx);
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
    let output = match &sig.output {
        ReturnType::Default => syn::parse_quote!(()),
        ReturnType::Type(_, ty) => {
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
            }
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
        docs: docs(method),
        is_async: sig.asyncness.is_some(),
        params,
        output,
        breaker: None,
        rate: None,
        compensate: None,
        undo: None,
    })
}

/// Reads `#[circuit_breaker]`, `#[rate_limit]` and `#[compensate]` into
/// the handler.
fn resilience(handler: &mut Handler, guards: &[Attribute], errors: &mut Errors) {
    for guard in guards {
        let name = guard
            .path()
            .segments
            .last()
            .map(|last| last.ident.to_string())
            .unwrap_or_default();
        let is_breaker = name == "circuit_breaker";
        let taken = match name.as_str() {
            "circuit_breaker" => handler.breaker.is_some(),
            "compensate" => handler.compensate.is_some(),
            _ => handler.rate.is_some(),
        };
        if taken {
            errors.spanned(guard, format!("duplicate `#[{name}]`; a method has one"));
            continue;
        }
        if name == "compensate" {
            handler.compensate = compensate_options(guard, errors);
        } else if is_breaker {
            handler.breaker = breaker_options(guard, errors);
        } else if let Some(rate) = rate_options(guard, errors) {
            if let Some(key) = &rate.key {
                if !handler.fields().any(|(field, _)| field == key) {
                    let arguments: Vec<String> = handler.fields().map(|(field, _)| format!("`{field}`")).collect();
                    errors.spanned(
                        key,
                        format!(
                            "`{}` has no argument `{key}` to key the rate limit by; its arguments are {}",
                            handler.ident,
                            if arguments.is_empty() {
                                "none".to_owned()
                            } else {
                                arguments.join(", ")
                            }
                        ),
                    );
                    continue;
                }
            }
            handler.rate = Some(rate);
        }
    }
}

fn hook(role: Role, method: &ImplItemFn, target: &Target, errors: &mut Errors) -> Option<Hook> {
    let sig = &method.sig;
    let before = errors.count();
    common_signature(method, role.marker(), errors);
    let shape = match role {
        Role::OnStop => {
            "`#[on_stop]` takes `&mut self`, optionally `ctx: &mut Ctx<Self>`, and optionally `reason: StopReason`"
        }
        _ => "`#[on_start]` takes `&mut self` and optionally `ctx: &mut Ctx<Self>`",
    };
    let mut params = Vec::new();
    let mut ctx_seen = false;
    for input in &sig.inputs {
        let FnArg::Typed(typed) = input else { continue };
        if let Some(ctx) = ctx_param(&typed.ty) {
            check_ctx(&ctx, &mut ctx_seen, typed, target, errors);
            params.push(true);
        } else if role == Role::OnStop && !params.contains(&false) {
            if !is_stop_reason(&typed.ty) {
                errors.spanned(
                    &typed.ty,
                    "the stop hook's reason is a `phyx::StopReason`; write `reason: StopReason`",
                );
            }
            params.push(false);
        } else {
            errors.spanned(typed, format!("{shape}; remove this parameter"));
        }
    }
    if role == Role::OnStop {
        if let ReturnType::Type(_, ty) = &sig.output {
            errors.spanned(ty, "`#[on_stop]` returns nothing; remove the return type");
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

/// Rules shared by handlers and hooks: a `&self`/`&mut self` receiver, no
/// generics, not `unsafe`.
fn common_signature(method: &ImplItemFn, marker: &str, errors: &mut Errors) {
    let sig = &method.sig;
    if let Some(unsafety) = &sig.unsafety {
        errors.spanned(
            unsafety,
            format!("`#[{marker}]` methods cannot be `unsafe`: the handle could not uphold their contract"),
        );
    }
    if !sig.generics.params.is_empty() {
        errors.spanned(
            &sig.generics,
            format!("`#[{marker}]` methods cannot be generic: each message has one concrete type; take a concrete type or an enum instead"),
        );
    } else if let Some(where_clause) = &sig.generics.where_clause {
        errors.spanned(
            where_clause,
            format!(
                "`#[{marker}]` methods cannot have a `where` clause: each message has one concrete type; remove it"
            ),
        );
    }
    match sig.inputs.first() {
        Some(FnArg::Receiver(receiver)) => {
            if !matches!(*receiver.ty, Type::Reference(_)) {
                errors.spanned(
                    receiver,
                    format!("`#[{marker}]` methods take `&self` or `&mut self`: the process keeps its state between messages, so it cannot give `self` away"),
                );
            }
        }
        _ => errors.spanned(
            &sig.ident,
            format!("`#[{marker}]` methods need a receiver: add `&self` or `&mut self` as the first parameter"),
        ),
    }
}

fn check_ctx(ctx: &CtxParam<'_>, seen: &mut bool, typed: &syn::PatType, target: &Target, errors: &mut Errors) {
    if !ctx.is_mut {
        errors.spanned(&typed.ty, "take the context as `ctx: &mut Ctx<Self>`");
    } else if let Some(process) = ctx.process.filter(|process| !names_type(process, &target.ident)) {
        errors.spanned(
            process,
            "a handler gets its own process's context; write `ctx: &mut Ctx<Self>`",
        );
    }
    if std::mem::replace(seen, true) {
        errors.spanned(
            typed,
            "a method takes at most one `ctx: &mut Ctx<Self>` parameter; remove this one",
        );
    }
}

fn is_stop_reason(ty: &Type) -> bool {
    matches!(ty, Type::Path(path) if path.path.segments.last().is_some_and(|last| last.ident == "StopReason"))
}

/// A `#[child]` method of a supervisor.
pub(crate) struct ChildMethod {
    pub(crate) ident: Ident,
    pub(crate) vis: Visibility,
    pub(crate) docs: Vec<Attribute>,
    /// The process type it builds.
    pub(crate) process: Type,
    pub(crate) options: ProcessOptions,
}

pub(crate) fn children(marked: &[Marked], item: &syn::ItemImpl, errors: &mut Errors) -> Vec<ChildMethod> {
    let mut children = Vec::new();
    for Marked {
        role, marker, method, ..
    } in marked
    {
        if *role != Role::Child {
            errors.spanned(
                marker,
                format!(
                    "a `#[supervisor]` has no `#[{}]` methods: its handle's methods are its children; move this method to a `#[process]`",
                    role.marker()
                ),
            );
            continue;
        }
        if let Some(child) = child(marker, method, errors) {
            children.push(child);
        }
    }
    if !marked.iter().any(|marked| marked.role == Role::Child) {
        errors.spanned(
            &item.self_ty,
            "a `#[supervisor]` needs at least one `#[child]` method that builds a child, e.g. `#[child] fn worker(&self) -> Worker { Worker::default() }`",
        );
    }
    children
}

fn child(marker: &Attribute, method: &ImplItemFn, errors: &mut Errors) -> Option<ChildMethod> {
    let sig = &method.sig;
    let before = errors.count();
    common_signature(method, "child", errors);
    if let Some(asyncness) = &sig.asyncness {
        errors.spanned(asyncness, "`#[child]` methods build the child's state at once; remove `async` and do slow work in the child's `#[on_start]`");
    }
    for input in sig.inputs.iter().skip(1) {
        errors.spanned(input, "`#[child]` methods take only `&self`; remove this parameter");
    }
    let options = match &marker.meta {
        syn::Meta::List(list) => {
            let options = process_options(list.tokens.clone(), errors);
            if let Some(krate) = &options.krate {
                errors.spanned(krate, "`crate` goes on `#[supervisor(crate = ...)]`, not on a child");
            }
            options
        }
        syn::Meta::NameValue(meta) => {
            errors.spanned(
                meta,
                "write child options in parentheses: `#[child(restart = transient)]`",
            );
            process_options(proc_macro2::TokenStream::new(), errors)
        }
        syn::Meta::Path(_) => process_options(proc_macro2::TokenStream::new(), errors),
    };
    let process = match &sig.output {
        ReturnType::Type(_, ty) => (**ty).clone(),
        ReturnType::Default => {
            errors.spanned(
                &sig.ident,
                "a `#[child]` method returns the process it builds, e.g. `fn worker(&self) -> Worker`",
            );
            return None;
        }
    };
    if errors.count() > before {
        return None;
    }
    Some(ChildMethod {
        ident: sig.ident.clone(),
        vis: method.vis.clone(),
        docs: docs(method),
        process,
        options,
    })
}

/// The doc comments of a method, to carry over to what is generated for it.
fn docs(method: &ImplItemFn) -> Vec<Attribute> {
    method
        .attrs
        .iter()
        .filter(|attr| attr.path().is_ident("doc"))
        .cloned()
        .collect()
}
