//! The attributes on the methods of an impl: the markers (`#[public]`,
//! `#[on_start]`, `#[on_stop]`, `#[on_down]`, `#[health_check]`,
//! `#[child]`, and `#[apply]`,
//! `#[snapshot]`, `#[restore]` of event-sourced processes), which give a
//! method its role,
//! and the guards (`#[circuit_breaker]`, `#[rate_limit]`,
//! `#[compensate]`, `#[cache]`, `#[validate]`, `#[idempotent]`,
//! `#[trace]`), which a `#[public]` method may carry.
//!
//! Each is recognized by the last segment of its path, so that
//! `#[phyx::public]` and a renamed import work alike.

use syn::{Attribute, Ident};

use super::{
    BreakerOptions, CacheOptions, IdempotentOptions, ProcessOptions, RateOptions, child, compensate, validate,
};
use crate::errors::{Errors, Parsed};

/// What a marker makes of a method.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Public,
    OnStart,
    OnStop,
    OnDown,
    /// `#[health_check]`: what `System::health` asks the process.
    HealthCheck,
    Child,
    /// `#[apply]`: how an event changes an event-sourced process's state.
    Apply,
    /// `#[snapshot]`: the state as a snapshot.
    Snapshot,
    /// `#[restore]`: the state from a snapshot.
    Restore,
}

impl Role {
    fn of(attr: &Attribute) -> Option<Self> {
        match last_segment(attr)?.to_string().as_str() {
            "public" => Some(Self::Public),
            "on_start" => Some(Self::OnStart),
            "on_stop" => Some(Self::OnStop),
            "on_down" => Some(Self::OnDown),
            "health_check" => Some(Self::HealthCheck),
            "child" => Some(Self::Child),
            "apply" => Some(Self::Apply),
            "snapshot" => Some(Self::Snapshot),
            "restore" => Some(Self::Restore),
            _ => None,
        }
    }

    pub(crate) fn marker(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::OnStart => "on_start",
            Self::OnStop => "on_stop",
            Self::OnDown => "on_down",
            Self::HealthCheck => "health_check",
            Self::Child => "child",
            Self::Apply => "apply",
            Self::Snapshot => "snapshot",
            Self::Restore => "restore",
        }
    }
}

/// A marker as written.
pub(crate) struct Marker {
    pub(crate) role: Role,
    pub(crate) attr: Attribute,
    pub(crate) args: MarkerArgs,
}

/// What a marker's arguments parsed to.
pub(crate) enum MarkerArgs {
    /// `#[public]` and the hooks take none: an error if some are written.
    Bare(Parsed<()>),
    /// `#[child(...)]`'s options (boxed: far larger than nothing).
    Child(Box<Parsed<ProcessOptions>>),
}

impl Marker {
    /// `None` for an attribute that is not a marker.
    pub(crate) fn parse(attr: &Attribute) -> Option<Self> {
        let role = Role::of(attr)?;
        let args = if role == Role::Child {
            MarkerArgs::Child(Box::new(Parsed::parse(|errors| child::options(attr, errors))))
        } else {
            MarkerArgs::Bare(Parsed::parse(|errors| bare(attr, role.marker(), errors)))
        };
        Some(Self {
            role,
            attr: attr.clone(),
            args,
        })
    }
}

/// Errors unless a marker attribute (`#[public]`, ...) is written bare.
fn bare(attr: &Attribute, name: &str, errors: &mut Errors) {
    if !matches!(attr.meta, syn::Meta::Path(_)) {
        errors.spanned(&attr.meta, format!("`#[{name}]` takes no arguments; write `#[{name}]`"));
    }
}

/// A guard as written, its options parsed (`None` where they are wrong).
pub(crate) struct Guard {
    pub(crate) attr: Attribute,
    pub(crate) options: GuardOptions,
}

pub(crate) enum GuardOptions {
    CircuitBreaker(Parsed<Option<BreakerOptions>>),
    RateLimit(Parsed<Option<RateOptions>>),
    /// The name of the undo.
    Compensate(Parsed<Option<Ident>>),
    Cache(Parsed<Option<CacheOptions>>),
    /// The path of the validator.
    Validate(Parsed<Option<syn::Path>>),
    Idempotent(Parsed<Option<IdempotentOptions>>),
    /// `#[trace]`, which takes no options.
    Trace(Parsed<()>),
}

impl Guard {
    /// `None` for an attribute that is not a guard.
    pub(crate) fn parse(attr: &Attribute) -> Option<Self> {
        let options = match last_segment(attr)?.to_string().as_str() {
            "circuit_breaker" => {
                GuardOptions::CircuitBreaker(Parsed::parse(|errors| BreakerOptions::parse(attr, errors)))
            }
            "rate_limit" => GuardOptions::RateLimit(Parsed::parse(|errors| RateOptions::parse(attr, errors))),
            "compensate" => GuardOptions::Compensate(Parsed::parse(|errors| compensate::parse(attr, errors))),
            "cache" => GuardOptions::Cache(Parsed::parse(|errors| CacheOptions::parse(attr, errors))),
            "validate" => GuardOptions::Validate(Parsed::parse(|errors| validate::parse(attr, errors))),
            "idempotent" => GuardOptions::Idempotent(Parsed::parse(|errors| IdempotentOptions::parse(attr, errors))),
            "trace" => GuardOptions::Trace(Parsed::parse(|errors| bare(attr, "trace", errors))),
            _ => return None,
        };
        Some(Self {
            attr: attr.clone(),
            options,
        })
    }

    /// The attribute's name, for messages.
    pub(crate) fn name(&self) -> &'static str {
        match self.options {
            GuardOptions::CircuitBreaker(_) => "circuit_breaker",
            GuardOptions::RateLimit(_) => "rate_limit",
            GuardOptions::Compensate(_) => "compensate",
            GuardOptions::Cache(_) => "cache",
            GuardOptions::Validate(_) => "validate",
            GuardOptions::Idempotent(_) => "idempotent",
            GuardOptions::Trace(_) => "trace",
        }
    }
}

fn last_segment(attr: &Attribute) -> Option<&Ident> {
    attr.path().segments.last().map(|last| &last.ident)
}
