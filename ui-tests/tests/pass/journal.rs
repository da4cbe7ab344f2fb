//! Every shape of an event-sourced process compiles: events by value and
//! by reference, snapshots, generics, persisting from hooks and handlers.

use phyx::journal::PersistError;
use phyx::prelude::*;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
pub enum Event {
    Added(u64),
}

#[derive(Default)]
pub struct ByValue {
    total: u64,
}

#[process(journal)]
impl ByValue {
    #[apply]
    fn apply(&mut self, event: Event) {
        let Event::Added(n) = event;
        self.total += n;
    }

    #[on_start]
    async fn opened(&mut self, ctx: &mut Ctx<Self>) -> Result<(), PersistError> {
        ctx.persist(self, Event::Added(0)).await
    }

    #[public]
    pub async fn add(&mut self, ctx: &mut Ctx<Self>, n: u64) -> Result<u64, PersistError> {
        ctx.persist_all(self, [Event::Added(n), Event::Added(n)]).await?;
        Ok(self.total)
    }

    #[public]
    pub fn add_later(&mut self, n: u64, ctx: &mut Ctx<Self>) -> Result<(), SendError> {
        ctx.myself().add(n).send()
    }
}

#[derive(Default)]
pub struct ByReference {
    total: u64,
}

#[process(journal, snapshot_every = 10, mailbox = 8)]
impl ByReference {
    #[phyx::apply]
    fn on_event(&mut self, event: &Event) {
        let Event::Added(n) = event;
        self.total += n;
    }

    #[phyx::snapshot]
    fn take(&self) -> (u64, String) {
        (self.total, "v1".to_owned())
    }

    #[phyx::restore]
    fn put(&mut self, (total, _version): (u64, String)) {
        self.total = total;
    }

    #[public]
    pub async fn add(&mut self, ctx: &mut Ctx<Self>, n: u64) -> Result<u64, PersistError> {
        ctx.persist(self, Event::Added(n)).await?;
        ctx.save_snapshot(self).await?;
        Ok(self.total)
    }
}

pub struct Log<T> {
    items: Vec<T>,
}

#[process(journal)]
impl<T: Serialize + DeserializeOwned + Clone + Send + 'static> Log<T> {
    #[apply]
    fn apply(&mut self, item: T) {
        self.items.push(item);
    }

    #[public]
    pub async fn push(&mut self, ctx: &mut Ctx<Self>, item: T) -> Result<usize, PersistError> {
        ctx.persist(self, item).await?;
        Ok(self.items.len())
    }

    #[public]
    pub fn items(&self) -> Vec<T> {
        self.items.clone()
    }
}

fn main() {
    fn spawns(system: &System) {
        let _: ByValueRef = system.spawn(ByValue::default);
        let _: ByReferenceRef = system.spawn(ByReference::default);
        let _: LogRef<String> = system.spawn(|| Log::<String> { items: Vec::new() });
    }
    let _ = spawns;
}
