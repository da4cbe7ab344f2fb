use phyx::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

#[derive(Default)]
pub struct Cache {
    hits: u64,
}

#[process]
impl Cache {
    #[public]
    pub async fn fill(&mut self, ctx: &mut Ctx<Self>, from: *const u8, shared: Arc<RefCell<Vec<u8>>>) {
        let _ = (ctx, from, shared);
        self.hits += 1;
    }

    #[public]
    pub fn hits(&self) -> Result<Rc<u64>, String> {
        Ok(Rc::new(self.hits))
    }
}

fn main() {}
