//! Where markers and guards may go: markers on methods, one per method;
//! guards (`#[trace]` too) on `#[public]` methods.

use crate::attr::{GuardOptions, Marker, MarkerArgs, Role};
use crate::errors::Errors;
use crate::model::{Marked, Method};

/// The methods with a marker, each with its first one; every misplaced or
/// extra attribute reported, item by item.
pub(super) fn methods<'a>(marked: Vec<Marked<'a>>, errors: &mut Errors) -> Vec<Method<'a>> {
    let mut methods = Vec::new();
    for Marked {
        method,
        markers,
        guards,
    } in marked
    {
        let Some(method) = method else {
            let names = markers
                .iter()
                .map(|marker| (&marker.attr, marker.role.marker()))
                .chain(guards.iter().map(|guard| (&guard.attr, guard.name())));
            for (attr, name) in names {
                errors.spanned(
                    attr,
                    format!("`#[{name}]` goes on a method (`fn`) of the impl; remove it from this item"),
                );
            }
            continue;
        };
        let mut markers = markers.into_iter();
        let Some(Marker { role, attr, args }) = markers.next() else {
            for guard in guards {
                let name = guard.name();
                errors.spanned(
                    &guard.attr,
                    format!("`#[{name}]` goes on a `#[public]` method: add `#[public]`, or remove `#[{name}]`"),
                );
            }
            continue;
        };
        if role != Role::Public {
            for guard in &guards {
                if let GuardOptions::Trace(_) = guard.options {
                    errors.spanned(
                        &guard.attr,
                        format!(
                            "`#[trace]` goes on `#[public]` methods, which callers reach through the handle; `#[{}]` has no caller whose trace it could continue: remove `#[trace]`",
                            role.marker()
                        ),
                    );
                } else {
                    errors.spanned(
                        &guard.attr,
                        format!(
                            "`#[{}]` goes on `#[public]` methods, not on hooks or children; remove it from `{}`",
                            guard.name(),
                            method.sig.ident
                        ),
                    );
                }
            }
        }
        let child = match args {
            MarkerArgs::Bare(bare) => {
                bare.report(errors);
                None
            }
            // Read with the rest of the child (see `child.rs`).
            MarkerArgs::Child(options) => Some(*options),
        };
        for other in markers {
            let roles = [role, other.role];
            errors.spanned(
                &other.attr,
                if other.role == role {
                    format!("duplicate `#[{}]`; write it once", other.role.marker())
                } else if roles.contains(&Role::Public) && roles.contains(&Role::HealthCheck) {
                    "a health check is not reachable through the handle: `system.health()` runs it; remove `#[public]` (a `#[public]` method may call the check to share it)".to_owned()
                } else {
                    format!(
                        "a method has one role: `#[public]`, `#[on_start]`, `#[on_stop]`, `#[on_down]`, `#[health_check]`, `#[child]`, `#[apply]`, `#[snapshot]` or `#[restore]`; remove `#[{}]` or `#[{}]`",
                        role.marker(),
                        other.role.marker()
                    )
                },
            );
        }
        methods.push(Method {
            role,
            marker: attr,
            child,
            method,
            guards,
        });
    }
    methods
}
