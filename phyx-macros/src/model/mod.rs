//! The model of an impl: its items with phyx's attributes taken off and
//! parsed (`marked.rs`), and, once the rules have passed, the checked
//! process or supervisor the expansion works from (`method.rs`). No rules
//! here: those that build the checked part are in `check`.

mod marked;
mod method;

pub(crate) use marked::{Marked, Method, marked, take_markers};
pub(crate) use method::{
    Apply, ChildMethod, Handler, Hook, Idempotent, Methods, Param, Sibling, SnapshotMethod, UndoArgs,
};

use syn::{Ident, ItemImpl, Type};

use crate::attr::{ProcessOptions, SupervisorOptions};

/// The process type of the impl.
pub(crate) struct Target {
    pub(crate) ident: Ident,
    pub(crate) self_ty: Type,
}

/// A checked `#[process]` or `#[supervisor]` impl.
pub(crate) struct Model<'a> {
    /// The impl, its phyx attributes taken off.
    pub(crate) item: &'a ItemImpl,
    pub(crate) target: Target,
    pub(crate) body: Body,
}

pub(crate) enum Body {
    Process {
        /// Boxed: far larger than a supervisor's.
        options: Box<ProcessOptions>,
        methods: Box<Methods>,
    },
    Supervisor {
        options: SupervisorOptions,
        children: Vec<ChildMethod>,
    },
}

impl Body {
    /// `crate = path`, if written.
    pub(crate) fn krate(&self) -> Option<&syn::Path> {
        match self {
            Self::Process { options, .. } => options.krate.as_ref(),
            Self::Supervisor { options, .. } => options.krate.as_ref(),
        }
    }
}
