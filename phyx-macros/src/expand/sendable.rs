//! What crosses between tasks must be `Send`: one error, on the user's
//! type, when it is not.
//!
//! A non-`Send` argument makes the message enum non-`Send`, and every bound
//! that needs it `Send` (the `Message` impl, the handle, the mailbox, the
//! handler's future) would report it again, pointing into generated code.
//! So the enum's field is not the argument's type `T` but
//! `<[T; <T as SendArgument>::OK] as IntoIterator>::Item`: `T` itself when
//! `T: Send`, and otherwise an error type, which rustc reports nothing more
//! about. The one error is the length's, on `T` (written by the user) and
//! in the words of `SendArgument`'s `on_unimplemented`.
//!
//! Only for types made of the standard library's (`Rc<u8>`, `*const u8`,
//! `Box<dyn Fn()>`, `Vec<Rc<str>>`): proving a type `Send` while the enum's
//! fields are being computed must not need the enum itself, and a user's
//! type may hold a handle whose messages hold this process's handle (a
//! query cycle, an error in valid code). Other types, and types naming a
//! type parameter of the impl (a const operation cannot), stay as written,
//! checked by a bound spanned on them (see `handle.rs`).

use proc_macro2::{Span, TokenStream};
use quote::quote;
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
    pub(super) fn check(self) -> Ident {
        let name = match self {
            Self::Argument => "SendArgument",
            Self::Reply => "SendReply",
        };
        Ident::new(name, Span::call_site())
    }
}

/// `ty`, as the message enum and the call spell it.
pub(super) fn checked(krate: &syn::Path, ty: &Type, crossing: Crossing, params: &[&Ident]) -> TokenStream {
    if !checked_in_type(ty, params) {
        return quote!(#ty);
    }
    let check = crossing.check();
    quote!(<[#ty; <#ty as #krate::__private::#check>::OK] as ::core::iter::IntoIterator>::Item)
}

/// Whether [`checked`] checks `ty` where it spells it.
pub(super) fn checked_in_type(ty: &Type, params: &[&Ident]) -> bool {
    is_std(ty) && !names_param(ty, params)
}

/// Whether `ty` is made of primitives and the standard library's types
/// only, so that it cannot hold a handle or a message. Inside `dyn` and
/// `fn` types anything goes: whether they are `Send` does not depend on it.
fn is_std(ty: &Type) -> bool {
    match ty {
        Type::Path(path) => path.qself.is_none() && is_std_path(&path.path),
        Type::Reference(reference) => is_std(&reference.elem),
        Type::Ptr(pointer) => is_std(&pointer.elem),
        Type::Array(array) => is_std(&array.elem),
        Type::Slice(slice) => is_std(&slice.elem),
        Type::Tuple(tuple) => tuple.elems.iter().all(is_std),
        Type::Paren(paren) => is_std(&paren.elem),
        Type::Group(group) => is_std(&group.elem),
        Type::BareFn(_) | Type::TraitObject(_) | Type::Never(_) => true,
        _ => false,
    }
}

fn is_std_path(path: &syn::Path) -> bool {
    let Some(last) = path.segments.last() else {
        return false;
    };
    let first = &path.segments[0].ident;
    let named = if path.segments.len() == 1 && path.leading_colon.is_none() {
        STD_NAMES.split_whitespace().any(|name| last.ident == name)
    } else {
        first == "std" || first == "core" || first == "alloc"
    };
    named
        && path.segments.iter().all(|segment| match &segment.arguments {
            syn::PathArguments::None => true,
            syn::PathArguments::AngleBracketed(args) => args.args.iter().all(|arg| match arg {
                syn::GenericArgument::Type(ty) => is_std(ty),
                syn::GenericArgument::Lifetime(_) | syn::GenericArgument::Const(_) => true,
                _ => false,
            }),
            syn::PathArguments::Parenthesized(_) => false,
        })
}

/// Primitives, and the standard library's types written unqualified
/// (from the prelude or after a `use`). A user's type of the same name is
/// taken for the standard one, which is harmless unless it holds a handle.
const STD_NAMES: &str = "bool char str u8 u16 u32 u64 u128 usize i8 i16 i32 i64 i128 isize f32 f64 \
    String Vec VecDeque LinkedList BinaryHeap HashMap HashSet BTreeMap BTreeSet Box Rc Arc Weak \
    Cell RefCell OnceCell UnsafeCell Mutex RwLock OnceLock MutexGuard RwLockReadGuard RwLockWriteGuard \
    NonNull PhantomData Option Result Duration SystemTime PathBuf OsString CString Pin ManuallyDrop \
    Wrapping AtomicBool AtomicU8 AtomicU16 AtomicU32 AtomicU64 AtomicUsize AtomicI8 AtomicI16 \
    AtomicI32 AtomicI64 AtomicIsize AtomicPtr";

/// Whether `ty` names one of `params` (or `Self`).
fn names_param(ty: &Type, params: &[&Ident]) -> bool {
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

    #[test]
    fn checks_standard_types_in_the_enum() {
        let types: [Type; 7] = [
            parse_quote!(std::rc::Rc<u8>),
            parse_quote!(Rc<RefCell<Vec<u8>>>),
            parse_quote!(*const u8),
            parse_quote!(Box<dyn Fn(Job) -> Job>),
            parse_quote!((u8, [String; 2], fn(Job))),
            parse_quote!(Option<&'static str>),
            parse_quote!(Result<Arc<u64>, String>),
        ];
        assert!(types.iter().all(|ty| checked_in_type(ty, &[])));
    }

    #[test]
    fn leaves_types_that_may_hold_a_handle_or_a_parameter() {
        let k: Ident = parse_quote!(K);
        let types: [Type; 5] = [
            parse_quote!(Job),
            parse_quote!(Vec<CounterRef>),
            parse_quote!(crate::Job),
            parse_quote!(Rc<K>),
            parse_quote!(<K as Iterator>::Item),
        ];
        assert!(types.iter().all(|ty| !checked_in_type(ty, &[&k])));
    }
}
