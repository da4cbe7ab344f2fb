//! `#[idempotent(key = arg, ...)]`: the key names one of the method's
//! arguments. That its type can be a key, and the reply can be shared, are
//! the compiler's to check (see `expand/idempotent.rs`).

use crate::attr::IdempotentOptions;
use crate::errors::Errors;
use crate::model::{Handler, Idempotent};

/// The method's idempotency, or `None` (reported) if its key is not one
/// of its arguments.
pub(super) fn keyed(handler: &Handler, options: IdempotentOptions, errors: &mut Errors) -> Option<Idempotent> {
    let key = &options.key;
    if let Some((_, ty)) = handler.fields().find(|(field, _)| *field == key) {
        let key_ty = ty.clone();
        return Some(Idempotent { options, key_ty });
    }
    let arguments: Vec<String> = handler.fields().map(|(field, _)| format!("`{field}`")).collect();
    let message = if arguments.is_empty() {
        format!(
            "`{}` has no argument `{key}` to tell duplicate calls apart by, nor any other; give it one (`{key}: String`, say) and keep `key = {key}`",
            handler.ident
        )
    } else {
        format!(
            "`{}` has no argument `{key}` to tell duplicate calls apart by; its arguments are {}: write `key = ` one of them",
            handler.ident,
            arguments.join(", ")
        )
    };
    errors.spanned(key, message);
    None
}
