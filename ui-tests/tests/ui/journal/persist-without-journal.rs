use phyx::prelude::*;

#[derive(Default)]
pub struct Tally {
    total: u64,
}

#[process]
impl Tally {
    #[public]
    pub async fn add(&mut self, ctx: &mut Ctx<Self>, n: u64) {
        let _ = ctx.persist(self, n).await;
        self.total += n;
    }
}

fn main() {}
