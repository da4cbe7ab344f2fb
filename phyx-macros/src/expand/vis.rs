//! Where the generated message enum and handle can be named, and where
//! they live so that any visibility of the process type compiles.
//!
//! The macro sees the impl block, not the struct, so it cannot know how
//! visible the process type is. `impl Process for Counter` names the
//! handle and the messages in associated types, which must be at least as
//! visible as `Counter` (E0446), so both are declared `pub`. A handle is
//! nameable where its methods can be called: with a `pub` method, the two
//! types are declared in place; otherwise they are declared inside an
//! unnamed `const _` block, and type aliases as visible as the widest
//! method name them through a hidden trait (an alias that names `Counter`
//! would fail wherever `Counter` is more private than the alias).

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::ext::IdentExt;
use syn::{GenericParam, Generics, Ident, Visibility};

/// The widest of `visibilities` (private if there are none): a handle is
/// nameable wherever one of its methods can be called.
///
/// A restricted visibility names an ancestor of the current module, so
/// `pub(in crate::a)` and `pub(super)` may be either way round: their
/// join is `pub(crate)`, which covers both.
pub(super) fn widest<'a>(visibilities: impl IntoIterator<Item = &'a Visibility>) -> Visibility {
    let mut widest: Option<(Visibility, Reach)> = None;
    for vis in visibilities {
        let reach = Reach::of(vis);
        widest = Some(match widest {
            None => (vis.clone(), reach),
            Some((current, current_reach)) => match current_reach.join(reach) {
                Join::Left => (current, current_reach),
                Join::Right => (vis.clone(), reach),
                Join::Crate => (syn::parse_quote!(pub(crate)), Reach::Down(0)),
            },
        });
    }
    widest.map_or(Visibility::Inherited, |(vis, _)| vis)
}

/// How far a visibility reaches, up the module tree.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Reach {
    /// `n` modules up from the current one: private is `Up(0)`,
    /// `pub(super)` is `Up(1)`.
    Up(usize),
    /// The ancestor `n` modules below the crate root: `pub(crate)` is
    /// `Down(0)`, `pub(in crate::a)` is `Down(1)`.
    Down(usize),
    Public,
}

enum Join {
    Left,
    Right,
    Crate,
}

impl Reach {
    fn of(vis: &Visibility) -> Self {
        match vis {
            Visibility::Public(_) => Self::Public,
            Visibility::Inherited => Self::Up(0),
            Visibility::Restricted(restricted) => {
                let segments: Vec<String> = restricted.path.segments.iter().map(|s| s.ident.to_string()).collect();
                match segments.first().map(String::as_str) {
                    Some("crate") => Self::Down(segments.len() - 1),
                    Some("self" | "super") => Self::Up(segments.iter().filter(|s| *s == "super").count()),
                    // Not a valid visibility since 2018; rustc says so on the method.
                    _ => Self::Down(0),
                }
            }
        }
    }

    fn join(self, other: Self) -> Join {
        match (self, other) {
            (Self::Public, _) => Join::Left,
            (_, Self::Public) => Join::Right,
            (Self::Up(a), Self::Up(b)) => {
                if a >= b {
                    Join::Left
                } else {
                    Join::Right
                }
            }
            (Self::Down(a), Self::Down(b)) => {
                if a <= b {
                    Join::Left
                } else {
                    Join::Right
                }
            }
            (Self::Down(0), Self::Up(_)) => Join::Left,
            (Self::Up(_), Self::Down(0)) => Join::Right,
            (Self::Down(_), Self::Up(_)) | (Self::Up(_), Self::Down(_)) => Join::Crate,
        }
    }
}

/// The names of the generated types and what they need.
pub(super) struct Names<'a> {
    pub(super) process: &'a Ident,
    pub(super) message: &'a Ident,
    pub(super) handle: &'a Ident,
    /// The widest visibility of the handle's methods.
    pub(super) reach: &'a Visibility,
    /// The impl's generics, with the process bounds.
    pub(super) generics: &'a Generics,
    /// `None` hides the enum from the documentation.
    pub(super) message_doc: Option<&'a str>,
    pub(super) handle_doc: &'a str,
}

/// The visibility the enum and the handle are declared with.
pub(super) fn declared(reach: &Visibility) -> Visibility {
    match reach {
        Visibility::Public(_) => reach.clone(),
        _ => syn::parse_quote!(pub),
    }
}

/// `definitions` (the enum, the handle, and every impl that names them)
/// placed so that they are declared `pub` and nameable as far as `reach`.
pub(super) fn place(names: &Names<'_>, definitions: TokenStream) -> TokenStream {
    if matches!(names.reach, Visibility::Public(_)) {
        return definitions;
    }
    let Names {
        process,
        message,
        handle,
        reach,
        generics,
        message_doc,
        handle_doc,
    } = names;
    let types = format_ident!("__Phyx{}Types", process.unraw(), span = Span::call_site());
    // The aliases' parameters: no bounds (an alias does not check them) and
    // no defaults (an impl has none).
    let params: Vec<TokenStream> = generics
        .params
        .iter()
        .filter_map(|param| match param {
            GenericParam::Type(ty) => {
                let ident = &ty.ident;
                Some(quote!(#ident))
            }
            GenericParam::Const(constant) => {
                let (ident, ty) = (&constant.ident, &constant.ty);
                Some(quote!(const #ident: #ty))
            }
            GenericParam::Lifetime(_) => None,
        })
        .collect();
    let args = super::param_names(generics, true);
    let (params, args) = if params.is_empty() {
        (quote!(), quote!())
    } else {
        (quote!(<#(#params),*>), quote!(<#(#args),*>))
    };
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let message_doc = message_doc.map_or_else(|| quote!(#[doc(hidden)]), |doc| quote!(#[doc = #doc]));
    quote! {
        #[doc(hidden)]
        #[allow(dead_code)]
        #reach trait #types #params {
            type Message;
            type Ref;
        }

        #message_doc
        #[allow(dead_code)]
        #reach type #message #params = <() as #types #args>::Message;

        #[doc = #handle_doc]
        #[allow(dead_code)]
        #reach type #handle #params = <() as #types #args>::Ref;

        const _: () = {
            #definitions

            #[automatically_derived]
            impl #impl_generics #types #ty_generics for () #where_clause {
                type Message = #message #ty_generics;
                type Ref = #handle #ty_generics;
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;

    fn widest_of(visibilities: &[&str]) -> String {
        let parsed: Vec<Visibility> = visibilities
            .iter()
            .map(|vis| syn::parse_str(vis).expect("a visibility"))
            .collect();
        widest(&parsed).to_token_stream().to_string()
    }

    #[test]
    fn the_widest_visibility_wins() {
        assert_eq!(widest_of(&[]), "");
        assert_eq!(widest_of(&["", "pub(super)", ""]), "pub (super)");
        assert_eq!(widest_of(&["pub(super)", "pub(crate)"]), "pub (crate)");
        assert_eq!(widest_of(&["pub(crate)", "pub(super)"]), "pub (crate)");
        assert_eq!(widest_of(&["pub(crate)", "pub", "pub(super)"]), "pub");
        assert_eq!(
            widest_of(&["pub(self)", "pub(in super::super)", "pub(super)"]),
            "pub (in super :: super)"
        );
        assert_eq!(
            widest_of(&["pub(in crate::a::b)", "pub(in crate::a)"]),
            "pub (in crate :: a)"
        );
    }

    #[test]
    fn incomparable_visibilities_join_at_the_crate() {
        assert_eq!(widest_of(&["pub(in crate::a)", "pub(super)"]), "pub (crate)");
        assert_eq!(
            widest_of(&["pub(super)", "pub(in crate::a)", "pub(self)"]),
            "pub (crate)"
        );
        assert_eq!(widest_of(&["pub(super)", "pub(in crate::a)", "pub"]), "pub");
    }
}
