//! Collects every error of an expansion, so all are reported at once
//! (serde's `Ctxt`), and holds an attribute's errors until a rule reads
//! the attribute ([`Parsed`]).

use proc_macro2::TokenStream;
use quote::ToTokens;
use std::fmt::Display;

#[derive(Default)]
pub(crate) struct Errors {
    combined: Option<syn::Error>,
    count: usize,
}

impl Errors {
    pub(crate) fn count(&self) -> usize {
        self.count
    }

    pub(crate) fn push(&mut self, error: syn::Error) {
        self.count += 1;
        self.combine(error);
    }

    /// Adds `other`'s errors after this one's, in their order.
    pub(crate) fn append(&mut self, other: Self) {
        self.count += other.count;
        if let Some(error) = other.combined {
            self.combine(error);
        }
    }

    fn combine(&mut self, error: syn::Error) {
        match &mut self.combined {
            Some(combined) => combined.combine(error),
            None => self.combined = Some(error),
        }
    }

    pub(crate) fn spanned(&mut self, tokens: impl ToTokens, message: impl Display) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    /// Keeps the value of a result, or records its error.
    pub(crate) fn ok<T>(&mut self, result: syn::Result<T>) -> Option<T> {
        result.map_err(|error| self.push(error)).ok()
    }

    pub(crate) fn into_compile_errors(self) -> TokenStream {
        self.combined.map(|error| error.to_compile_error()).unwrap_or_default()
    }
}

/// What an attribute on a method parsed to, with the errors its grammar
/// found. The model parses every attribute up front; the rule that reads
/// one reports its errors ([`Parsed::report`]), so that they come after
/// the errors of the method's signature, and not at all for a method the
/// rules already rejected (its options would be a second, unrelated
/// complaint about a method that cannot be generated anyway).
pub(crate) struct Parsed<T> {
    value: T,
    errors: Errors,
}

impl<T> Parsed<T> {
    /// Runs `grammar`, keeping its errors apart.
    pub(crate) fn parse(grammar: impl FnOnce(&mut Errors) -> T) -> Self {
        let mut errors = Errors::default();
        let value = grammar(&mut errors);
        Self { value, errors }
    }

    /// The value, its errors moved into `errors`.
    pub(crate) fn report(self, errors: &mut Errors) -> T {
        errors.append(self.errors);
        self.value
    }
}
