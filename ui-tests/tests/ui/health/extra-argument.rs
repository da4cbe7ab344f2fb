use phyx::prelude::*;

pub struct Service;

#[process]
impl Service {
    #[health_check]
    fn health(&self, ctx: &mut Ctx<Self>, verbose: bool) -> Health {
        let _ = (ctx, verbose);
        Health::healthy()
    }
}

fn main() {}
