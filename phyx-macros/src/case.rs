//! Names of generated items.

use proc_macro2::Ident;
use syn::ext::IdentExt;

/// `slow_get` (or `r#slow_get`) to `SlowGet`.
pub(crate) fn pascal_case(ident: &Ident) -> Ident {
    let snake = ident.unraw().to_string();
    let mut pascal = String::with_capacity(snake.len());
    let mut upper = true;
    for ch in snake.chars() {
        if ch == '_' {
            upper = true;
        } else if upper {
            pascal.extend(ch.to_uppercase());
            upper = false;
        } else {
            pascal.push(ch);
        }
    }
    if pascal.is_empty() {
        pascal.push('_');
    }
    Ident::new(&pascal, ident.span())
}

/// `Counter` to `CounterMsg`, `CounterRef`, ...
pub(crate) fn suffixed(ident: &Ident, suffix: &str) -> Ident {
    Ident::new(&format!("{}{suffix}", ident.unraw()), ident.span())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proc_macro2::Span;

    fn pascal(name: &str) -> String {
        pascal_case(&Ident::new(name, Span::call_site())).to_string()
    }

    #[test]
    fn snake_case_becomes_pascal_case() {
        assert_eq!(pascal("get"), "Get");
        assert_eq!(pascal("slow_get"), "SlowGet");
        assert_eq!(pascal("set_ttl_ms"), "SetTtlMs");
        assert_eq!(pascal("_private"), "Private");
    }
}
