//! The items of an impl that carry phyx's attributes, taken off them: what
//! the rules start from.

use syn::{Attribute, ImplItem, ImplItemFn, ItemImpl};

use crate::attr::{Guard, Marker, ProcessOptions, Role};
use crate::errors::Parsed;

/// The attributes taken off one item, by the item's place in the impl.
pub(crate) struct Taken {
    index: usize,
    markers: Vec<Marker>,
    guards: Vec<Guard>,
}

/// Removes phyx's markers and guards from the impl, which is then emitted
/// as the user wrote it otherwise, and parses them.
pub(crate) fn take_markers(item: &mut ItemImpl) -> Vec<Taken> {
    let mut taken = Vec::new();
    for (index, impl_item) in item.items.iter_mut().enumerate() {
        let attrs = match impl_item {
            ImplItem::Fn(method) => &mut method.attrs,
            ImplItem::Const(item) => &mut item.attrs,
            ImplItem::Type(item) => &mut item.attrs,
            ImplItem::Macro(item) => &mut item.attrs,
            _ => continue,
        };
        let (mut markers, mut guards) = (Vec::new(), Vec::new());
        attrs.retain(|attr| match Marker::parse(attr) {
            Some(marker) => {
                markers.push(marker);
                false
            }
            None => true,
        });
        attrs.retain(|attr| match Guard::parse(attr) {
            Some(guard) => {
                guards.push(guard);
                false
            }
            None => true,
        });
        if !markers.is_empty() || !guards.is_empty() {
            taken.push(Taken { index, markers, guards });
        }
    }
    taken
}

/// An item with phyx's attributes, as written.
pub(crate) struct Marked<'a> {
    /// `None` for an item that is not a method (a `const`, a `type`, a
    /// macro), which no marker may go on.
    pub(crate) method: Option<&'a ImplItemFn>,
    pub(crate) markers: Vec<Marker>,
    pub(crate) guards: Vec<Guard>,
}

/// The items `taken` from `item` (their attributes already removed).
pub(crate) fn marked(item: &ItemImpl, taken: Vec<Taken>) -> Vec<Marked<'_>> {
    taken
        .into_iter()
        .map(|Taken { index, markers, guards }| Marked {
            method: match &item.items[index] {
                ImplItem::Fn(method) => Some(method),
                _ => None,
            },
            markers,
            guards,
        })
        .collect()
}

/// A method with one marker, as the marker rules leave it.
pub(crate) struct Method<'a> {
    pub(crate) role: Role,
    /// The marker attribute, to point at.
    pub(crate) marker: Attribute,
    /// The options of a `#[child]` (`Some` exactly for one), not reported
    /// yet: a child's rules read them.
    pub(crate) child: Option<Parsed<ProcessOptions>>,
    pub(crate) method: &'a ImplItemFn,
    pub(crate) guards: Vec<Guard>,
}
