//! `Process::options()`: the defaults written in `#[process(...)]`.

use proc_macro2::{Literal, TokenStream};
use quote::quote;
use syn::Path;

use super::runtime::duration;
use crate::attr::ProcessOptions;

pub(super) fn expand(krate: &Path, options: &ProcessOptions) -> TokenStream {
    let mut calls = Vec::new();
    if let Some(name) = &options.name {
        calls.push(quote!(.name(#name)));
    }
    if let Some(capacity) = options.mailbox {
        calls.push(quote!(.mailbox(#capacity)));
    }
    if let Some(overflow) = &options.overflow {
        calls.push(quote!(.overflow(#krate::Overflow::#overflow)));
    }
    if let Some(restart) = &options.restart {
        calls.push(quote!(.restart(#krate::Restart::#restart)));
    }
    if let Some(backoff) = &options.backoff {
        let initial = duration(krate, backoff.initial);
        let max = duration(krate, backoff.max);
        let factor = Literal::f64_unsuffixed(backoff.factor);
        let jitter = Literal::f64_unsuffixed(backoff.jitter);
        calls.push(quote!(.backoff(#krate::__private::backoff(#initial, #max, #factor, #jitter))));
    }
    if options.max_restarts.is_some() || options.within.is_some() {
        let count = options.max_restarts.map_or_else(
            || quote!(#krate::SpawnOptions::DEFAULT_MAX_RESTARTS.max_restarts),
            |count| quote!(#count),
        );
        let within = options.within.map_or_else(
            || quote!(#krate::SpawnOptions::DEFAULT_MAX_RESTARTS.within),
            |within| duration(krate, within),
        );
        calls.push(quote!(.max_restarts(#count, #within)));
    }
    if let Some(shutdown) = options.shutdown {
        let shutdown = duration(krate, shutdown);
        calls.push(quote!(.shutdown_timeout(#shutdown)));
    }
    quote!(#krate::SpawnOptions::new() #(#calls)*)
}
