//! A supervisor's methods: only `#[child]` methods, at least one, each
//! building a child's state at once from `&self`.

use syn::{ImplItemFn, ItemImpl, ReturnType};

use super::signature;
use crate::attr::{ProcessOptions, Role};
use crate::errors::{Errors, Parsed};
use crate::model::{ChildMethod, Method};

pub(super) fn children(marked: Vec<Method<'_>>, item: &ItemImpl, errors: &mut Errors) -> Vec<ChildMethod> {
    let any_child = marked.iter().any(|marked| marked.role == Role::Child);
    let mut children = Vec::new();
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
            errors.spanned(
                marker,
                format!(
                    "a `#[supervisor]` has no `#[{}]` methods: its handle's methods are its children; move this method to a `#[process]`",
                    role.marker()
                ),
            );
            continue;
        };
        if let Some(child) = self::child(options, method, errors) {
            children.push(child);
        }
    }
    if !any_child {
        errors.spanned(
            &item.self_ty,
            "a `#[supervisor]` needs at least one `#[child]` method that builds a child, e.g. `#[child] fn worker(&self) -> Worker { Worker::default() }`",
        );
    }
    children
}

fn child(options: Parsed<ProcessOptions>, method: &ImplItemFn, errors: &mut Errors) -> Option<ChildMethod> {
    let sig = &method.sig;
    let before = errors.count();
    signature::common(method, "child", errors);
    if let Some(asyncness) = &sig.asyncness {
        errors.spanned(asyncness, "`#[child]` methods build the child's state at once; remove `async` and do slow work in the child's `#[on_start]`");
    }
    for input in sig.inputs.iter().skip(1) {
        errors.spanned(input, "`#[child]` methods take only `&self`; remove this parameter");
    }
    let options = options.report(errors);
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
        docs: signature::docs(method),
        process,
        options,
    })
}
