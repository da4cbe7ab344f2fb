// A reply naming a type parameter of the impl is checked by a bound: the
// error is on the type, with rustc's advice.
use phyx::prelude::*;
use std::rc::Rc;

pub struct Store<K> {
    items: Vec<K>,
}

#[process]
impl<K: Clone + 'static> Store<K> {
    #[public]
    pub fn first(&mut self) -> Option<Rc<K>> {
        self.items.first().cloned().map(Rc::new)
    }
}

fn main() {}
