//! Rules every marked method follows, whatever its role: a `&self` or
//! `&mut self` receiver, no generics, not `unsafe`, at most one well-typed
//! context.

use syn::{Attribute, FnArg, ImplItemFn, Type};

use super::types::{CtxParam, names_type};
use crate::errors::Errors;
use crate::model::Target;

pub(super) fn common(method: &ImplItemFn, marker: &str, errors: &mut Errors) {
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
            if marker == "child" {
                "`#[child]` methods need a receiver: add `&self` as the first parameter".to_owned()
            } else {
                format!("`#[{marker}]` methods need a receiver: add `&self` or `&mut self` as the first parameter")
            },
        ),
    }
}

/// A `ctx` parameter: `&mut Ctx<Self>`, once.
pub(super) fn ctx(ctx: &CtxParam<'_>, seen: &mut bool, typed: &syn::PatType, target: &Target, errors: &mut Errors) {
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

/// The doc comments of a method, to carry over to what is generated for it.
pub(super) fn docs(method: &ImplItemFn) -> Vec<Attribute> {
    method
        .attrs
        .iter()
        .filter(|attr| attr.path().is_ident("doc"))
        .cloned()
        .collect()
}
