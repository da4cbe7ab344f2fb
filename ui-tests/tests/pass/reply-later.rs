//! Replying later: a `Reply<R>` anywhere in the list, beside a context,
//! in `fn` and `async fn`, with `Self` and type parameters in `R`, an
//! explicit `-> ()`, guards and compensation.

use phyx::prelude::*;
use phyx::Reply;

#[derive(Clone)]
pub struct Node {
    id: u32,
}

#[process]
impl Node {
    #[public]
    pub fn copy(&self, reply: Reply<Self>, _tag: String) {
        reply.send(self.clone());
    }

    #[public]
    pub async fn later(&mut self, ctx: &mut Ctx<Self>, reply: Reply<u32>) -> () {
        ctx.sleep(std::time::Duration::from_millis(1)).await;
        reply.send(self.id);
    }

    #[public]
    #[circuit_breaker(failures = 2)]
    #[compensate(undo)]
    pub fn guarded(&mut self, key: StepKey, reply: phyx::Reply<Result<u32, String>>) {
        let _ = key;
        reply.send(Ok(self.id));
    }

    #[public]
    pub fn undo(&mut self, _key: StepKey, _value: u32) {}
}

pub struct Store<T> {
    items: Vec<T>,
}

#[process]
impl<T: Clone + Send + 'static> Store<T> {
    #[public]
    pub fn first(&self, reply: Reply<Option<T>>) {
        reply.send(self.items.first().cloned());
    }
}

async fn calls(node: NodeRef, store: StoreRef<String>) -> Result<(), CallError> {
    let copy: Node = node.copy("t".into()).await?;
    let id: u32 = node.later().await?;
    let first: Option<String> = store.first().await?;
    let _ = (copy, id, first);
    Ok(())
}

fn main() {
    let _ = calls;
}
