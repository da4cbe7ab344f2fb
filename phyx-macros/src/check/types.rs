//! Questions about the types in a method signature.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::visit::Visit;
use syn::visit_mut::VisitMut;
use syn::{GenericArgument, PathArguments, Type, TypePath, TypeReference};

/// The first borrow in `ty` (a reference, or a lifetime other than
/// `'static`), as tokens to point an error at.
pub(super) fn find_borrow(ty: &Type) -> Option<TokenStream> {
    struct Finder(Option<TokenStream>);
    impl Visit<'_> for Finder {
        fn visit_type_reference(&mut self, reference: &TypeReference) {
            match &reference.lifetime {
                Some(lifetime) if lifetime.ident == "static" => self.visit_type(&reference.elem),
                _ => {
                    self.0.get_or_insert_with(|| reference.to_token_stream());
                }
            }
        }
        fn visit_lifetime(&mut self, lifetime: &syn::Lifetime) {
            if lifetime.ident != "static" {
                self.0.get_or_insert_with(|| lifetime.to_token_stream());
            }
        }
        // `fn(&str)` borrows nothing itself.
        fn visit_type_bare_fn(&mut self, _: &syn::TypeBareFn) {}
    }
    let mut finder = Finder(None);
    finder.visit_type(ty);
    finder.0
}

/// The first `impl Trait` in `ty`, as tokens.
pub(super) fn find_impl_trait(ty: &Type) -> Option<TokenStream> {
    struct Finder(Option<TokenStream>);
    impl Visit<'_> for Finder {
        fn visit_type_impl_trait(&mut self, ty: &syn::TypeImplTrait) {
            self.0.get_or_insert_with(|| ty.to_token_stream());
        }
    }
    let mut finder = Finder(None);
    finder.visit_type(ty);
    finder.0
}

/// A `ctx` parameter: `&mut Ctx<P>` or `&Ctx<P>`.
pub(super) struct CtxParam<'a> {
    pub(crate) is_mut: bool,
    /// `P`, if written.
    pub(crate) process: Option<&'a Type>,
}

pub(super) fn ctx_param(ty: &Type) -> Option<CtxParam<'_>> {
    let Type::Reference(reference) = ty else {
        return None;
    };
    let Type::Path(TypePath { qself: None, path }) = &*reference.elem else {
        return None;
    };
    let last = path.segments.last().filter(|last| last.ident == "Ctx")?;
    let process = match &last.arguments {
        PathArguments::AngleBracketed(args) => args.args.iter().find_map(|arg| match arg {
            GenericArgument::Type(ty) => Some(ty),
            _ => None,
        }),
        _ => None,
    };
    Some(CtxParam {
        is_mut: reference.mutability.is_some(),
        process,
    })
}

/// Whether `ty` is `Envelope` (or `phyx::Envelope`): how the message came,
/// given by the runtime, not by the caller.
pub(super) fn is_envelope(ty: &Type) -> bool {
    let Type::Path(TypePath { qself: None, path }) = ty else {
        return false;
    };
    path.segments
        .last()
        .is_some_and(|last| last.ident == "Envelope" && last.arguments.is_none())
}

/// A reply-later parameter, `Reply<R>` (or `phyx::Reply<R>`): its `R`.
pub(super) fn reply_param(ty: &Type) -> Option<&Type> {
    let Type::Path(TypePath { qself: None, path }) = ty else {
        return None;
    };
    let last = path.segments.last().filter(|last| last.ident == "Reply")?;
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    let mut types = args.args.iter().filter_map(|arg| match arg {
        GenericArgument::Type(ty) => Some(ty),
        _ => None,
    });
    match (types.next(), types.next()) {
        (Some(reply), None) => Some(reply),
        _ => None,
    }
}

/// Whether `ty` is `Self` or names the type `ident` (whatever its
/// generic arguments).
pub(super) fn names_type(ty: &Type, ident: &syn::Ident) -> bool {
    let Type::Path(TypePath { qself: None, path }) = ty else {
        return false;
    };
    path.is_ident("Self") || path.segments.last().is_some_and(|last| last.ident == *ident)
}

/// `ty` with every borrow made owned: `&str` becomes `String`, `&[T]`
/// becomes `Vec<T>`, `&T` becomes `T`. The type to suggest.
pub(super) fn owned(ty: &Type) -> String {
    struct Owner;
    impl VisitMut for Owner {
        fn visit_type_mut(&mut self, ty: &mut Type) {
            if let Type::Reference(reference) = ty {
                let owned: Type = match &*reference.elem {
                    Type::Path(path) if path.path.is_ident("str") => syn::parse_quote!(String),
                    Type::Slice(slice) => {
                        let elem = &slice.elem;
                        syn::parse_quote!(Vec<#elem>)
                    }
                    elem => elem.clone(),
                };
                *ty = owned;
            }
            syn::visit_mut::visit_type_mut(self, ty);
        }
    }
    let mut ty = ty.clone();
    Owner.visit_type_mut(&mut ty);
    ty.to_token_stream()
        .to_string()
        .replace(" < ", "<")
        .replace("< ", "<")
        .replace(" >", ">")
        .replace(" ,", ",")
}

/// Replaces `Self` by the process type, for types used outside the impl.
pub(super) fn replace_self(ty: &mut Type, self_ty: &Type) {
    struct Replacer<'a>(&'a Type);
    impl VisitMut for Replacer<'_> {
        fn visit_type_mut(&mut self, ty: &mut Type) {
            if let Type::Path(path) = ty {
                if path.qself.is_none() && path.path.segments.first().is_some_and(|s| s.ident == "Self") {
                    if path.path.segments.len() == 1 && matches!(path.path.segments[0].arguments, PathArguments::None) {
                        *ty = self.0.clone();
                        return;
                    }
                    let self_ty = self.0;
                    let rest: Vec<_> = path.path.segments.iter().skip(1).collect();
                    *ty = syn::parse_quote!(<#self_ty>::#(#rest)::*);
                }
            }
            syn::visit_mut::visit_type_mut(self, ty);
        }
    }
    Replacer(self_ty).visit_type_mut(ty);
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    #[test]
    fn finds_borrows_but_not_in_fn_pointers_or_static() {
        let borrowed: [Type; 3] = [
            parse_quote!(&str),
            parse_quote!(Option<&u8>),
            parse_quote!(Cow<'a, str>),
        ];
        assert!(borrowed.iter().all(|ty| find_borrow(ty).is_some()));
        let owned: [Type; 3] = [
            parse_quote!(String),
            parse_quote!(fn(&str) -> bool),
            parse_quote!(&'static str),
        ];
        assert!(owned.iter().all(|ty| find_borrow(ty).is_none()));
    }

    #[test]
    fn suggests_owned_types() {
        assert_eq!(owned(&parse_quote!(&str)), "String");
        assert_eq!(owned(&parse_quote!(&[u8])), "Vec<u8>");
        assert_eq!(owned(&parse_quote!(&Vec<u8>)), "Vec<u8>");
        assert_eq!(owned(&parse_quote!(Option<&str>)), "Option<String>");
    }

    #[test]
    fn replaces_self_everywhere() {
        let self_ty: Type = parse_quote!(Cache<K>);
        let mut ty: Type = parse_quote!(Option<Vec<Self>>);
        replace_self(&mut ty, &self_ty);
        let expected: Type = parse_quote!(Option<Vec<Cache<K>>>);
        assert_eq!(ty.to_token_stream().to_string(), expected.to_token_stream().to_string());
    }
}
