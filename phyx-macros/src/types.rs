//! Questions about the types in a method signature.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::visit_mut::VisitMut;
use syn::{PathArguments, Type, TypePath};

/// The span of the first borrow in `ty` (a reference, or a lifetime other
/// than `'static`), if any.
pub(crate) fn find_borrow(ty: &Type) -> Option<Span> {
    struct Finder(Option<Span>);
    impl Visit<'_> for Finder {
        fn visit_type_reference(&mut self, reference: &syn::TypeReference) {
            match &reference.lifetime {
                Some(lifetime) if lifetime.ident == "static" => self.visit_type(&reference.elem),
                _ => {
                    self.0.get_or_insert(reference.span());
                }
            }
        }
        fn visit_lifetime(&mut self, lifetime: &syn::Lifetime) {
            if lifetime.ident != "static" {
                self.0.get_or_insert(lifetime.span());
            }
        }
        // `fn(&str)` borrows nothing itself.
        fn visit_type_bare_fn(&mut self, _: &syn::TypeBareFn) {}
    }
    let mut finder = Finder(None);
    finder.visit_type(ty);
    finder.0
}

/// Whether `ty` is or contains `impl Trait`.
pub(crate) fn find_impl_trait(ty: &Type) -> Option<Span> {
    struct Finder(Option<Span>);
    impl Visit<'_> for Finder {
        fn visit_type_impl_trait(&mut self, ty: &syn::TypeImplTrait) {
            self.0.get_or_insert(ty.span());
        }
    }
    let mut finder = Finder(None);
    finder.visit_type(ty);
    finder.0
}

/// `&mut Ctx<..>` (or `&Ctx<..>`, which is an error): `Some(is_mut)`.
pub(crate) fn ctx_reference(ty: &Type) -> Option<bool> {
    let Type::Reference(reference) = ty else {
        return None;
    };
    let Type::Path(TypePath { qself: None, path }) = &*reference.elem else {
        return None;
    };
    let last = path.segments.last()?;
    (last.ident == "Ctx").then_some(reference.mutability.is_some())
}

/// `&str` becomes `String`, `&[T]` becomes `Vec<T>`, `&T` becomes `T`: the
/// owned type to suggest for a borrowed one.
pub(crate) fn owned_suggestion(ty: &Type) -> Option<String> {
    let Type::Reference(reference) = ty else {
        return None;
    };
    Some(match &*reference.elem {
        Type::Path(path) if path.path.is_ident("str") => "String".to_owned(),
        Type::Slice(slice) => format!("Vec<{}>", tokens(&slice.elem)),
        elem => tokens(elem),
    })
}

fn tokens(ty: &Type) -> String {
    quote::quote!(#ty).to_string().replace(" < ", "<").replace(" >", ">").replace(" ,", ",")
}

/// Replaces `Self` by the process type, for types used outside the impl.
pub(crate) fn replace_self(ty: &mut Type, self_ty: &Type) {
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
        let borrowed: [Type; 3] = [parse_quote!(&str), parse_quote!(Option<&u8>), parse_quote!(Cow<'a, str>)];
        assert!(borrowed.iter().all(|ty| find_borrow(ty).is_some()));
        let owned: [Type; 3] = [parse_quote!(String), parse_quote!(fn(&str) -> bool), parse_quote!(&'static str)];
        assert!(owned.iter().all(|ty| find_borrow(ty).is_none()));
    }

    #[test]
    fn suggests_owned_types() {
        assert_eq!(owned_suggestion(&parse_quote!(&str)).as_deref(), Some("String"));
        assert_eq!(owned_suggestion(&parse_quote!(&[u8])).as_deref(), Some("Vec<u8>"));
        assert_eq!(owned_suggestion(&parse_quote!(&Vec<u8>)).as_deref(), Some("Vec<u8>"));
    }

    #[test]
    fn replaces_self_everywhere() {
        let self_ty: Type = parse_quote!(Cache<K>);
        let mut ty: Type = parse_quote!(Option<Vec<Self>>);
        replace_self(&mut ty, &self_ty);
        assert_eq!(ty, parse_quote!(Option<Vec<Cache<K>>>));
    }
}
