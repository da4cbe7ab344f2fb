//! The rules: what a `#[process]` or `#[supervisor]` impl and its marked
//! methods must be, each broken rule reported on the tokens that break it.
//! They read the model (`crate::model`) and build its checked part; they
//! parse no attribute (`crate::attr` did), but report an attribute's errors
//! where they reach it (see `Parsed`).
//!
//! The order of the rules is the order of the errors a user sees: the
//! markers, item by item; the impl's type; then each method in turn, its
//! signature before its guards; last, the links between methods.

mod cache;
mod child;
mod compensate;
mod handler;
mod health;
mod hook;
mod idempotent;
mod journal;
mod markers;
mod signature;
mod target;
mod trace;
mod types;

pub(crate) use target::not_an_impl;

use syn::{Ident, ItemImpl};

use crate::attr::{Options, Role};
use crate::errors::Errors;
use crate::model::{Body, Marked, Model};

/// The checked model of `item`, or `None` when no part of it can be
/// generated (then `errors` says why).
pub(crate) fn check<'a>(
    options: Options,
    item: &'a ItemImpl,
    marked: Vec<Marked<'a>>,
    errors: &mut Errors,
) -> Option<Model<'a>> {
    let methods = markers::methods(marked, errors);
    let target = target::target(item, errors)?;
    let body = match options {
        Options::Process(options) => {
            let public: Vec<&Ident> = methods
                .iter()
                .filter(|method| method.role == Role::Public)
                .map(|method| &method.method.sig.ident)
                .collect();
            let mut methods = handler::methods(methods, &target, errors);
            compensate::link(&mut methods.handlers, &public, item, errors);
            cache::link(&mut methods.handlers, &public, item, errors);
            journal::link(&options, &methods, errors);
            trace::link(&options, &mut methods.handlers, errors);
            Body::Process {
                options: Box::new(options),
                methods: Box::new(methods),
            }
        }
        Options::Supervisor(options) => {
            target::not_generic(item, errors)?;
            let children = child::children(methods, errors);
            Body::Supervisor { options, children }
        }
    };
    Some(Model { item, target, body })
}
