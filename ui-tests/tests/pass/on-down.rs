//! Down hooks in every supported shape: sync or async, `&self` or
//! `&mut self`, with or without ctx, ctx before or after the `Down`; in a
//! generic process too. `ctx.watch` compiles wherever there is one.

use phyx::prelude::*;
use phyx::{Down, Watcher};

pub struct Plain;

#[process]
impl Plain {
    #[on_down]
    fn down(&self, _down: Down) {}

    #[public]
    pub fn watch(&self, ctx: &mut Ctx<Self>, other: AsyncRef) {
        ctx.watch(&other);
        ctx.unwatch(&other);
    }
}

pub struct Async {
    downs: u32,
}

#[process]
impl Async {
    #[on_down]
    async fn down(&mut self, down: Down, ctx: &mut Ctx<Self>) {
        self.downs += 1;
        ctx.emit(down);
    }

    #[public]
    pub fn downs(&self) -> u32 {
        self.downs
    }
}

pub struct CtxFirst;

#[process]
impl CtxFirst {
    #[on_start]
    fn start(&mut self, ctx: &mut Ctx<Self>) {
        ctx.watch(&ctx.myself());
    }

    #[on_down]
    fn down(&mut self, ctx: &mut Ctx<Self>, _down: phyx::Down) {
        ctx.stop();
    }
}

pub struct Generic<T> {
    items: Vec<T>,
}

#[process]
impl<T: Clone> Generic<T> {
    #[on_down]
    fn down(&mut self, _down: Down) {
        self.items.clear();
    }

    #[public]
    pub fn items(&self) -> Vec<T> {
        self.items.clone()
    }
}

fn is_watcher<W: Watcher>() {}

fn main() {
    is_watcher::<Plain>();
    is_watcher::<Async>();
    is_watcher::<CtxFirst>();
    is_watcher::<Generic<String>>();
}
