//! A supervisor's methods: only `#[child]` methods, each building a
//! child's state at once from `&self` and the handles of the children
//! declared before it.

use quote::ToTokens;
use syn::{FnArg, Ident, ImplItemFn, Pat, ReturnType, Type};

use super::signature;
use super::types::ctx_param;
use crate::attr::{ProcessOptions, Role};
use crate::errors::{Errors, Parsed};
use crate::model::{ChildMethod, Method, Sibling};

/// The `#[child]` methods, in order. None is fine: a supervisor of
/// dynamic children only (`Supervisor::start_child`).
pub(super) fn children(marked: Vec<Method<'_>>, errors: &mut Errors) -> Vec<ChildMethod> {
    let mut children = Vec::new();
    // Every child's name and process, in order, for its siblings' rules,
    // and its parameters, to resolve once all are known.
    let mut declared: Vec<(Ident, Option<Type>)> = Vec::new();
    let mut params: Vec<Vec<&syn::PatType>> = Vec::new();
    for Method {
        role,
        marker,
        child,
        method,
        ..
    } in marked
    {
        // `child` is `Some` exactly for a `#[child]` marker.
        let Some(options) = child else {
            if role == Role::HealthCheck {
                errors.spanned(
                    marker,
                    "a `#[supervisor]` has no `#[health_check]`: its health is its children's, which `system.health()` asks each of; move the check to a `#[process]`",
                );
                continue;
            }
            errors.spanned(
                marker,
                format!(
                    "a `#[supervisor]` has no `#[{}]` methods: its handle's methods are its children; move this method to a `#[process]`",
                    role.marker()
                ),
            );
            continue;
        };
        let process = match &method.sig.output {
            ReturnType::Type(_, ty) => Some((**ty).clone()),
            ReturnType::Default => None,
        };
        declared.push((method.sig.ident.clone(), process));
        let (child, inputs) = self::child(options, method, errors);
        params.push(inputs);
        children.push(child);
    }
    children
        .into_iter()
        .zip(params)
        .enumerate()
        .filter_map(|(index, (child, inputs))| {
            let mut child = child?;
            let before = errors.count();
            child.siblings = inputs
                .into_iter()
                .filter_map(|input| sibling(&declared, index, input, errors))
                .collect();
            (errors.count() == before).then_some(child)
        })
        .collect()
}

/// The rules of one `#[child]` method but its parameters' types, which
/// need the other children; returns its parameters for those.
fn child<'a>(
    options: Parsed<ProcessOptions>,
    method: &'a ImplItemFn,
    errors: &mut Errors,
) -> (Option<ChildMethod>, Vec<&'a syn::PatType>) {
    let sig = &method.sig;
    let before = errors.count();
    signature::common(method, "child", errors);
    if let Some(FnArg::Receiver(receiver)) = sig.inputs.first() {
        if receiver.reference.is_some() && receiver.mutability.is_some() {
            errors.spanned(
                receiver,
                "`#[child]` methods take `&self`: the supervisor builds children from its state without changing it",
            );
        }
    }
    if let Some(asyncness) = &sig.asyncness {
        errors.spanned(asyncness, "`#[child]` methods build the child's state at once; remove `async` and do slow work in the child's `#[on_start]`");
    }
    let mut inputs = Vec::new();
    for input in sig.inputs.iter().skip(1) {
        match input {
            FnArg::Typed(typed) if ctx_param(&typed.ty).is_some() => errors.spanned(
                typed,
                "`#[child]` methods get no context: they run in the supervisor while it starts the child; remove this parameter and use the child's own context in its `#[on_start]`",
            ),
            FnArg::Typed(typed) => inputs.push(typed),
            // A second receiver: rustc says so.
            FnArg::Receiver(_) => {}
        }
    }
    let options = options.report(errors);
    let process = match &sig.output {
        ReturnType::Type(_, ty) => (**ty).clone(),
        ReturnType::Default => {
            errors.spanned(
                &sig.ident,
                "a `#[child]` method returns the process it builds, e.g. `fn worker(&self) -> Worker`",
            );
            return (None, inputs);
        }
    };
    if errors.count() > before {
        return (None, inputs);
    }
    let child = ChildMethod {
        ident: sig.ident.clone(),
        vis: method.vis.clone(),
        docs: signature::docs(method),
        process,
        options,
        siblings: Vec::new(),
    };
    (Some(child), inputs)
}

/// Resolves a parameter of child `index` to the earlier child whose handle
/// it takes: by handle type (`FetcherRef` or `<Fetcher as Process>::Ref` is
/// the handle of the child that returns a `Fetcher`), and, among several
/// earlier children of that type, by name (the parameter named after the
/// child method).
///
/// The macro sees type names only; the expansion passes the sibling's
/// handle where the parameter's type is written, so a name that matches but
/// a type that does not is still a type error on the parameter.
fn sibling(
    declared: &[(Ident, Option<Type>)],
    index: usize,
    input: &syn::PatType,
    errors: &mut Errors,
) -> Option<Sibling> {
    let me = &declared[index].0;
    let ty = &*input.ty;
    if let Type::Reference(reference) = ty {
        let inner = reference.elem.to_token_stream().to_string().replace(' ', "");
        errors.spanned(
            ty,
            format!("take the handle by value, `{inner}`: a handle is cheap to clone, and the child keeps it"),
        );
        return None;
    }
    let Some(wanted) = handle_of(ty) else {
        let written = ty.to_token_stream().to_string().replace(' ', "");
        errors.spanned(
            input,
            format!(
                "`{written}` is not the handle of a child; `#[child]` parameters are handles of earlier children, e.g. `fetcher: FetcherRef`"
            ),
        );
        return None;
    };
    let builds = |(ident, process): &(Ident, Option<Type>)| {
        process.as_ref().and_then(type_name).is_some_and(|name| name == wanted) && ident != me
    };
    let earlier: Vec<(usize, &(Ident, Option<Type>))> = declared[..index]
        .iter()
        .enumerate()
        .filter(|(_, child)| builds(child))
        .collect();
    let chosen = match earlier.as_slice() {
        [only] => Some(*only),
        [] => None,
        several => {
            let name = match &*input.pat {
                Pat::Ident(pat) => Some(&pat.ident),
                _ => None,
            };
            let by_name = several.iter().find(|(_, (ident, _))| Some(ident) == name);
            if by_name.is_none() {
                let names: Vec<String> = several.iter().map(|(_, (ident, _))| format!("`{ident}`")).collect();
                let first = &several[0].1.0;
                errors.spanned(
                    &input.pat,
                    format!(
                        "children {} before `{me}` all return a `{wanted}`; name the parameter after the one it takes, e.g. `{first}: {wanted}Ref`",
                        names.join(", ")
                    ),
                );
                return None;
            }
            by_name.copied()
        }
    };
    let Some((sibling, (_, Some(process)))) = chosen else {
        let message = if declared[index]
            .1
            .as_ref()
            .and_then(type_name)
            .is_some_and(|name| name == wanted)
        {
            format!("`{me}` cannot take its own handle; inside its handlers, `ctx.myself()` is its handle")
        } else if let Some((later, _)) = declared[index + 1..].iter().find(|child| builds(child)) {
            format!(
                "`{later}` is declared after `{me}`; declare `{later}` before `{me}` to pass its handle: children start in order"
            )
        } else {
            format!(
                "no child before `{me}` returns a `{wanted}`; `#[child]` parameters are handles of earlier children"
            )
        };
        errors.spanned(input, message);
        return None;
    };
    Some(Sibling {
        ty: ty.clone(),
        index: sibling,
        process: process.clone(),
    })
}

/// The process whose handle `ty` names: `Fetcher` for `FetcherRef` (the
/// name `#[process]` gives it) and for `<Fetcher as Process>::Ref`.
fn handle_of(ty: &Type) -> Option<String> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if let Some(qself) = &path.qself {
        return (last.ident == "Ref" && last.arguments.is_empty())
            .then(|| type_name(&qself.ty))
            .flatten();
    }
    if !last.arguments.is_empty() {
        return None;
    }
    let name = last.ident.to_string();
    let process = name.strip_suffix("Ref")?;
    (!process.is_empty()).then(|| process.to_owned())
}

/// The last segment of a path type: `Fetcher` for `crate::net::Fetcher`.
fn type_name(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(path) if path.qself.is_none() => path.path.segments.last().map(|last| last.ident.to_string()),
        _ => None,
    }
}
