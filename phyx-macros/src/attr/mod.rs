//! The grammars of phyx's attributes, one file each, on the generic option
//! helpers of `option.rs`. A grammar reports what is malformed in the
//! attribute itself (an unknown option, a duplicate, a value of the wrong
//! kind); whether the attribute fits the method it is on is a rule, in
//! `check`.

mod breaker;
mod cache;
mod child;
mod common;
mod compensate;
mod duration;
mod idempotent;
mod method;
mod option;
mod process;
mod rate_limit;
mod supervisor;
mod validate;

pub(crate) use breaker::BreakerOptions;
pub(crate) use cache::CacheOptions;
pub(crate) use idempotent::IdempotentOptions;
pub(crate) use method::{Guard, GuardOptions, Marker, MarkerArgs, Role};
pub(crate) use process::ProcessOptions;
pub(crate) use rate_limit::RateOptions;
pub(crate) use supervisor::SupervisorOptions;

use crate::errors::Errors;
use proc_macro2::TokenStream;

/// The attribute on the impl block that is expanding.
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    Process,
    Supervisor,
}

/// That attribute's arguments.
pub(crate) enum Options {
    Process(ProcessOptions),
    Supervisor(SupervisorOptions),
}

impl Options {
    /// Parses `#[process(args)]` or `#[supervisor(args)]`, recording every
    /// error and keeping what parsed.
    pub(crate) fn parse(kind: Kind, args: TokenStream, errors: &mut Errors) -> Self {
        match kind {
            Kind::Process => {
                let options = ProcessOptions::parse(args, errors);
                options.check_requires(errors);
                Self::Process(options)
            }
            Kind::Supervisor => Self::Supervisor(SupervisorOptions::parse(args, errors)),
        }
    }
}
