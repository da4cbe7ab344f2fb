use phyx::prelude::*;

pub struct Job {
    pub id: u64,
}

#[derive(Default)]
pub struct Worker {
    done: u64,
}

#[process(remote)]
impl Worker {
    #[public]
    pub async fn run(&mut self, ctx: &mut Ctx<Self>, job: Job) -> u64 {
        ctx.sleep(std::time::Duration::ZERO).await;
        self.done += job.id;
        self.done
    }
}

fn main() {}
