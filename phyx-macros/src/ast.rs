//! Finds the methods of a `#[process]` impl that phyx's markers select.

use syn::{Attribute, ImplItem, ImplItemFn, ItemImpl};

use crate::attr::bare_marker;
use crate::errors::Errors;

/// What a marker makes of a method.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Public,
    OnStart,
    OnStop,
    Child,
}

impl Role {
    fn of(attr: &Attribute) -> Option<Self> {
        let last = attr.path().segments.last()?;
        match last.ident.to_string().as_str() {
            "public" => Some(Self::Public),
            "on_start" => Some(Self::OnStart),
            "on_stop" => Some(Self::OnStop),
            "child" => Some(Self::Child),
            _ => None,
        }
    }

    pub(crate) fn marker(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::OnStart => "on_start",
            Self::OnStop => "on_stop",
            Self::Child => "child",
        }
    }
}

/// A method with its marker, as written (marker removed).
pub(crate) struct Marked {
    pub(crate) role: Role,
    pub(crate) marker: Attribute,
    pub(crate) method: ImplItemFn,
    /// `#[circuit_breaker]`, `#[rate_limit]` and `#[compensate]` on it.
    pub(crate) guards: Vec<Attribute>,
}

/// Whether `attr` is one of the per-method resilience attributes.
fn is_guard(attr: &Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|last| last.ident == "circuit_breaker" || last.ident == "rate_limit" || last.ident == "compensate")
}

/// Removes phyx's markers from the impl, returning the methods they marked.
pub(crate) fn take_markers(item: &mut ItemImpl, errors: &mut Errors) -> Vec<Marked> {
    let mut marked = Vec::new();
    for impl_item in &mut item.items {
        let attrs = match impl_item {
            ImplItem::Fn(method) => &mut method.attrs,
            ImplItem::Const(item) => &mut item.attrs,
            ImplItem::Type(item) => &mut item.attrs,
            ImplItem::Macro(item) => &mut item.attrs,
            _ => continue,
        };
        let markers = strip(attrs);
        let mut guards = Vec::new();
        attrs.retain(|attr| {
            let guard = is_guard(attr);
            if guard {
                guards.push(attr.clone());
            }
            !guard
        });
        let ImplItem::Fn(method) = impl_item else {
            for (role, attr) in markers {
                errors.spanned(
                    &attr,
                    format!(
                        "`#[{}]` goes on a method (`fn`) of the impl; remove it from this item",
                        role.marker()
                    ),
                );
            }
            continue;
        };
        let mut markers = markers.into_iter();
        let Some((role, marker)) = markers.next() else {
            for guard in guards {
                let name = guard
                    .path()
                    .segments
                    .last()
                    .map(|last| last.ident.to_string())
                    .unwrap_or_default();
                errors.spanned(
                    &guard,
                    format!("`#[{name}]` goes on a `#[public]` method: add `#[public]`, or remove `#[{name}]`"),
                );
            }
            continue;
        };
        if role != Role::Public {
            for guard in &guards {
                errors.spanned(
                    guard,
                    "resilience attributes go on `#[public]` methods, not on hooks or children",
                );
            }
        }
        if role != Role::Child {
            bare_marker(&marker, role.marker(), errors);
        }
        for (other, attr) in markers {
            errors.spanned(
                &attr,
                if other == role {
                    format!("duplicate `#[{}]`; write it once", other.marker())
                } else {
                    format!(
                        "a method is either `#[public]`, `#[on_start]`, `#[on_stop]` or `#[child]`; remove `#[{}]` or `#[{}]`",
                        role.marker(),
                        other.marker()
                    )
                },
            );
        }
        marked.push(Marked {
            role,
            marker,
            method: method.clone(),
            guards,
        });
    }
    marked
}

fn strip(attrs: &mut Vec<Attribute>) -> Vec<(Role, Attribute)> {
    let mut markers = Vec::new();
    attrs.retain(|attr| match Role::of(attr) {
        Some(role) => {
            markers.push((role, attr.clone()));
            false
        }
        None => true,
    });
    markers
}
