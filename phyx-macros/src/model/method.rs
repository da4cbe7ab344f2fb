//! The checked methods the expansion works from: handlers and hooks of a
//! process, children of a supervisor.

use proc_macro2::Span;
use syn::{Attribute, Ident, Type, Visibility};

use crate::attr::{BreakerOptions, CacheOptions, IdempotentOptions, ProcessOptions, RateOptions, Role};

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
    /// `#[cache(...)]`: its replies kept at the caller.
    pub(crate) cache: Option<CacheOptions>,
    /// `#[validate(with = path)]`: the function that checks its arguments
    /// at the caller.
    pub(crate) validate: Option<syn::Path>,
    /// `#[idempotent(...)]`, its key checked to be an argument.
    pub(crate) idempotent: Option<Idempotent>,
    /// The `#[trace]` written on it, if one was.
    pub(crate) trace: Option<Attribute>,
    /// Whether its calls carry their caller's trace: `#[trace]` on it, or
    /// `#[process(trace)]` on the impl (see `check::trace`).
    pub(crate) traced: bool,
}

/// An `#[idempotent]` method's options, and its key's type.
pub(crate) struct Idempotent {
    pub(crate) options: IdempotentOptions,
    pub(crate) key_ty: Type,
}

pub(crate) enum Param {
    Ctx,
    /// `reply: Reply<R>`: the method replies later; `R` is its `output`.
    Reply,
    /// `envelope: Envelope`: how the message came (a durable tell's id).
    Envelope,
    Value {
        field: Ident,
        ty: Box<Type>,
    },
}

impl Handler {
    pub(crate) fn fields(&self) -> impl Iterator<Item = (&Ident, &Type)> {
        self.params.iter().filter_map(|param| match param {
            Param::Ctx | Param::Reply | Param::Envelope => None,
            Param::Value { field, ty } => Some((field, &**ty)),
        })
    }

    /// The message's field for its `Envelope`, if the method takes one.
    pub(crate) fn envelope_field(&self) -> Option<proc_macro2::TokenStream> {
        self.params
            .iter()
            .any(|param| matches!(param, Param::Envelope))
            .then(|| quote::quote!(__phyx_envelope))
    }

    /// Whether it takes a `Reply<R>` and so replies later.
    pub(crate) fn replies_later(&self) -> bool {
        self.params.iter().any(|param| matches!(param, Param::Reply))
    }

    /// Whether its reply is spelled `Result<..>` (a `Result` alias counts),
    /// whose `Err` a breaker counts as a failure and a cache does not keep.
    pub(crate) fn returns_result(&self) -> bool {
        matches!(&self.output, Type::Path(path) if path.path.segments.last().is_some_and(|last| last.ident == "Result"))
    }

    /// The message's field for the caller's trace, if the method is traced.
    pub(crate) fn trace_field(&self) -> Option<proc_macro2::TokenStream> {
        self.traced.then(|| quote::quote!(__phyx_trace))
    }

    /// Whether calls pass the process's guards (`__GUARDS`) first.
    pub(crate) fn is_guarded(&self) -> bool {
        self.breaker.is_some() || self.rate.is_some()
    }
}

/// What the undo of a `#[compensate(undo)]` takes, besides an optional
/// context.
#[derive(Clone, Copy)]
pub(crate) enum UndoArgs {
    Nothing,
    Key,
    Value,
    KeyValue,
}

/// An `#[on_start]`, `#[on_stop]`, `#[on_down]` or `#[health_check]`
/// method.
pub(crate) struct Hook {
    pub(crate) ident: Ident,
    pub(crate) is_async: bool,
    /// `true` for the context, `false` for the hook's value: the stop
    /// reason of `#[on_stop]`, the `Down` of `#[on_down]`.
    pub(crate) params: Vec<bool>,
    pub(crate) output_span: Span,
}

/// The `#[apply]` method of an event-sourced process.
pub(crate) struct Apply {
    pub(crate) ident: Ident,
    /// The event type, without the `&` of an event taken by reference.
    pub(crate) event: Type,
    pub(crate) by_ref: bool,
}

/// A `#[snapshot]` method (`ty`: what it returns) or a `#[restore]`
/// method (`ty`: what it takes).
pub(crate) struct SnapshotMethod {
    pub(crate) ident: Ident,
    pub(crate) ty: Type,
}

/// The methods of a process.
#[derive(Default)]
pub(crate) struct Methods {
    pub(crate) handlers: Vec<Handler>,
    pub(crate) on_start: Option<Hook>,
    pub(crate) on_stop: Option<Hook>,
    pub(crate) on_down: Option<Hook>,
    /// `#[health_check]`: its `params` are its contexts (`true`), at most
    /// one.
    pub(crate) health: Option<Hook>,
    pub(crate) apply: Option<Apply>,
    pub(crate) snapshot: Option<SnapshotMethod>,
    pub(crate) restore: Option<SnapshotMethod>,
    /// Every `#[apply]`, `#[snapshot]` and `#[restore]` written, well
    /// formed or not (those that are not were reported already), with its
    /// marker: how they go together is checked on these.
    pub(crate) journal_markers: Vec<(Role, Attribute)>,
}

impl Methods {
    /// Whether any handler is traced (its message then has a trace slot).
    pub(crate) fn any_traced(&self) -> bool {
        self.handlers.iter().any(|handler| handler.traced)
    }

    /// The guarded handlers, in the order of `__GUARDS`.
    pub(crate) fn guarded(&self) -> impl Iterator<Item = &Handler> {
        self.handlers.iter().filter(|handler| handler.is_guarded())
    }

    /// The place of `handler` in `__GUARDS`, which its handle method passes
    /// to `__guarded`: both come from [`Methods::guarded`], so they agree.
    pub(crate) fn guard_index(&self, handler: &Handler) -> Option<usize> {
        self.guarded().position(|guarded| guarded.ident == handler.ident)
    }

    /// The `#[cache]` methods, in the order of the process's caches.
    pub(crate) fn cached(&self) -> impl Iterator<Item = (&Handler, &CacheOptions)> {
        self.handlers
            .iter()
            .filter_map(|handler| Some((handler, handler.cache.as_ref()?)))
    }

    /// The place of `handler` among the cached methods.
    pub(crate) fn cache_index(&self, handler: &Handler) -> Option<usize> {
        self.cached().position(|(cached, _)| cached.ident == handler.ident)
    }

    /// The places of the cached methods that a call of `handler` empties:
    /// those whose `invalidated_by` names it.
    pub(crate) fn invalidated_by(&self, handler: &Handler) -> Vec<usize> {
        self.cached()
            .enumerate()
            .filter(|(_, (_, cache))| cache.invalidated_by.contains(&handler.ident))
            .map(|(index, _)| index)
            .collect()
    }

    /// The `#[idempotent]` handlers, in the order of their tables.
    pub(crate) fn idempotent(&self) -> impl Iterator<Item = (&Handler, &Idempotent)> {
        self.handlers
            .iter()
            .filter_map(|handler| Some((handler, handler.idempotent.as_ref()?)))
    }
}

/// A `#[child]` method of a supervisor.
pub(crate) struct ChildMethod {
    pub(crate) ident: Ident,
    pub(crate) vis: Visibility,
    pub(crate) docs: Vec<Attribute>,
    /// The process type it builds.
    pub(crate) process: Type,
    pub(crate) options: ProcessOptions,
    /// Its parameters after `&self`: handles of earlier children.
    pub(crate) siblings: Vec<Sibling>,
}

/// A parameter of a `#[child]` method: the handle of an earlier child.
pub(crate) struct Sibling {
    /// The parameter's type, as written (`FetcherRef`).
    pub(crate) ty: Type,
    /// The earlier child's place among the children, and the process type
    /// it builds (`Fetcher`).
    pub(crate) index: usize,
    pub(crate) process: Type,
}
