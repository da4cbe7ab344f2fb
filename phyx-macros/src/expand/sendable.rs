//! What crosses between tasks must be `Send`: one error, on the user's
//! type, when it is not.
//!
//! A non-`Send` argument would make the message enum non-`Send`, and every
//! bound that needs it `Send` (the `Message` impl, the handle, the mailbox,
//! the handler's future) would report it again, pointing into generated
//! code. So the enum holds each argument as a `Sent<T>`, which is `Send`
//! whatever `T` is and can only be made from a `Send` value: the enum's
//! definition never depends on whether `T` is `Send`, and the check moves
//! to the expressions that make and open a `Sent`.
//!
//! There, `T` is spelled `<[T; <T as SendArgument>::OK] as
//! IntoIterator>::Item`: `T` itself when `T: Send`, and otherwise an error
//! type, about which rustc says nothing more (not the bound of
//! `Sent::new`, not the handler's future that holds the value). The one
//! error is the length's, on `T` as the user wrote it, in the words of
//! `SendArgument`'s `on_unimplemented`; where the handle and the dispatch
//! both spell it, rustc shows it once. A type naming a type parameter of
//! the impl cannot be spelled so (a const operation cannot name one): it
//! stays as written, and `Sent::new`'s `T: Send` bound reports it, with
//! rustc's own advice to restrict the parameter.
//!
//! The arguments and replies of a `#[process(remote)]` process must be
//! serde too, checked the same way by `WireType` ([`wire`]) around the
//! `Send` check: a type that is neither is one error, the `Send` one,
//! since the `WireType` check of an error type says nothing.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::{Ident, Type};

/// What a type is, for the error's sentence.
#[derive(Clone, Copy)]
pub(super) enum Crossing {
    Argument,
    Reply,
}

impl Crossing {
    /// The trait of `phyx::__private` that checks it.
    fn check(self) -> Ident {
        let name = match self {
            Self::Argument => "SendArgument",
            Self::Reply => "SendReply",
        };
        Ident::new(name, Span::call_site())
    }
}

/// `ty`, spelled so that it is checked to be `Send` where it is written.
pub(super) fn checked(krate: &syn::Path, ty: &Type, crossing: Crossing, params: &[&Ident]) -> TokenStream {
    if names_param(ty, params) {
        return quote!(#ty);
    }
    let check = crossing.check();
    let (first, last) = ends(ty);
    let krate = respanned(krate, first);
    // `Item` on the type's last token: an error about the whole spelling
    // (`WireType`'s, see `wire`) covers the whole type, not its first token.
    let item = quote_spanned!(last=> Item);
    quote_spanned!(first=> <[#ty; <#ty as #krate::__private::#check>::OK] as ::core::iter::IntoIterator>::#item)
}

/// `ty`, spelled so that it is checked to be `Send` and serde where it is
/// written, for the wire form of a `#[process(remote)]` process. A type
/// naming a type parameter stays as written: `phyx::__private::codec`'s
/// bound checks it (see `remote`).
pub(super) fn wire(krate: &syn::Path, ty: &Type, crossing: Crossing, params: &[&Ident]) -> TokenStream {
    checked_also(krate, ty, crossing, "WireType", params)
}

/// `ty`, spelled so that it is checked to be `Send`, then to meet the
/// `check` trait of `phyx::__private` (what `#[cache]` needs of its
/// arguments and reply, say): a type that is neither is one error, the
/// `Send` one. A type naming a type parameter stays as written.
pub(super) fn checked_also(
    krate: &syn::Path,
    ty: &Type,
    crossing: Crossing,
    check: &str,
    params: &[&Ident],
) -> TokenStream {
    if names_param(ty, params) {
        return quote!(#ty);
    }
    let sendable = checked(krate, ty, crossing, params);
    let (first, last) = ends(ty);
    let krate = respanned(krate, first);
    let check = Ident::new(check, first);
    let item = quote_spanned!(last=> Item);
    quote_spanned!(first=> <[#sendable; <#sendable as #krate::__private::#check>::OK] as ::core::iter::IntoIterator>::#item)
}

/// The spans of the first and the last token of `ty`.
pub(super) fn ends(ty: &Type) -> (Span, Span) {
    let mut tokens = ty.to_token_stream().into_iter();
    let first = tokens.next().map_or_else(Span::call_site, |token| token.span());
    let last = tokens.last().map_or(first, |token| token.span());
    (first, last)
}

/// `Sent::<ty>::new(value)`, with the check on `ty`.
pub(super) fn sent(
    krate: &syn::Path,
    ty: &Type,
    crossing: Crossing,
    params: &[&Ident],
    value: TokenStream,
) -> TokenStream {
    let checked = checked(krate, ty, crossing, params);
    let krate = respanned(krate, ty.span());
    // Bound first, so that the whole call is the user's type's span, where
    // an error about `new`'s bound points.
    quote_spanned!(ty.span()=> {
        let __phyx_value = #value;
        #krate::__private::Sent::<#checked>::new(__phyx_value)
    })
}

/// `krate`'s path with every token at `span`: an error about a path that
/// starts with it points at `span`, not at the attribute.
pub(super) fn respanned(krate: &syn::Path, span: Span) -> TokenStream {
    quote!(#krate)
        .into_iter()
        .map(|mut token| {
            token.set_span(span);
            token
        })
        .collect()
}

/// Whether `ty` names one of `params` (or `Self`).
pub(super) fn names_param(ty: &Type, params: &[&Ident]) -> bool {
    struct Finder<'a> {
        params: &'a [&'a Ident],
        found: bool,
    }
    impl Visit<'_> for Finder<'_> {
        fn visit_path(&mut self, path: &syn::Path) {
            if let Some(first) = path.segments.first() {
                if first.ident == "Self" || self.params.iter().any(|param| first.ident == **param) {
                    self.found = true;
                }
            }
            syn::visit::visit_path(self, path);
        }
    }
    let mut finder = Finder { params, found: false };
    finder.visit_type(ty);
    finder.found
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    fn is_checked(ty: &Type, params: &[&Ident]) -> bool {
        checked(&parse_quote!(::phyx), ty, Crossing::Argument, params)
            .to_string()
            .contains("SendArgument")
    }

    #[test]
    fn checks_every_type_that_names_no_parameter() {
        let types: [Type; 6] = [
            parse_quote!(std::rc::Rc<u8>),
            parse_quote!(Job),
            parse_quote!(Vec<CounterRef>),
            parse_quote!(*const u8),
            parse_quote!(Box<dyn Fn(Job) -> Job>),
            parse_quote!((u8, [String; 2], fn(Job))),
        ];
        assert!(types.iter().all(|ty| is_checked(ty, &[])));
    }

    #[test]
    fn leaves_types_that_name_a_parameter_to_the_bound() {
        let k: Ident = parse_quote!(K);
        let types: [Type; 3] = [
            parse_quote!(Rc<K>),
            parse_quote!(<K as Iterator>::Item),
            parse_quote!(Option<Self>),
        ];
        assert!(types.iter().all(|ty| !is_checked(ty, &[&k])));
    }
}
