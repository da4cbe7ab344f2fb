//! `#[process(remote)]` in every supported shape: serde user types as
//! arguments and replies, `Result` and `Option` replies, replying later,
//! sync and async handlers with a context, an `#[on_down]` hook (a `Down`
//! stays on its node), rate limits and breakers (run at the caller). A
//! remote process works on its own node as any other.

use std::collections::BTreeMap;

use phyx::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub id: u64,
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Outcome {
    Done { id: u64 },
    Skipped(String),
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub struct Overloaded {
    pub queued: usize,
}

#[derive(Default)]
pub struct Worker {
    done: BTreeMap<u64, Job>,
    downs: u32,
}

#[process(remote, mailbox = 16)]
impl Worker {
    /// Runs a job.
    #[public]
    pub fn run(&mut self, job: Job, skip: bool) -> Outcome {
        if skip {
            return Outcome::Skipped(format!("job {}", job.id));
        }
        let id = job.id;
        self.done.insert(id, job);
        Outcome::Done { id }
    }

    #[public]
    pub async fn run_later(&mut self, ctx: &mut Ctx<Self>, job: Job) -> Result<u64, Overloaded> {
        ctx.sleep(std::time::Duration::ZERO).await;
        if self.done.len() > 100 {
            return Err(Overloaded { queued: self.done.len() });
        }
        let id = job.id;
        self.done.insert(id, job);
        Ok(id)
    }

    #[public]
    pub fn find(&self, id: u64) -> Option<Job> {
        self.done.get(&id).cloned()
    }

    #[public]
    pub fn count(&self, reply: Reply<usize>) {
        reply.send(self.done.len());
    }

    #[public]
    pub async fn jobs(&self, ctx: &mut Ctx<Self>, reply: Reply<Result<Vec<Job>, Overloaded>>) {
        ctx.sleep(std::time::Duration::ZERO).await;
        reply.send(Ok(self.done.values().cloned().collect()));
    }

    #[public]
    #[rate_limit(per_second = 1000, burst = 100, key = id)]
    pub fn touch(&mut self, id: u64) -> bool {
        self.done.contains_key(&id)
    }

    #[public]
    #[circuit_breaker(failures = 3, cooldown = "1s")]
    pub fn check(&self, id: u64) -> Result<(), String> {
        self.done.get(&id).map(drop).ok_or_else(|| format!("no job {id}"))
    }

    #[on_start]
    fn start(&mut self, ctx: &mut Ctx<Self>) {
        ctx.watch(&ctx.myself());
    }

    #[public]
    pub fn forget(&mut self) {
        self.done.clear();
    }

    #[public]
    pub fn downs(&self) -> u32 {
        self.downs
    }

    #[on_down]
    fn down(&mut self, _down: Down) {
        self.downs += 1;
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let system = System::new();
    let worker: WorkerRef = system.spawn(Worker::default);
    let job = Job { id: 7, tags: vec!["a".into()] };
    assert_eq!(worker.run(job.clone(), false).await.unwrap(), Outcome::Done { id: 7 });
    assert_eq!(worker.run(job.clone(), true).await.unwrap(), Outcome::Skipped("job 7".into()));
    assert_eq!(worker.run_later(Job { id: 8, tags: vec![] }).await.unwrap(), Ok(8));
    assert_eq!(worker.find(7).await.unwrap(), Some(job));
    assert_eq!(worker.count().await.unwrap(), 2);
    assert_eq!(worker.jobs().await.unwrap().map(|jobs| jobs.len()), Ok(2));
    assert!(worker.touch(7).await.unwrap());
    assert_eq!(worker.check(9).await.unwrap(), Err("no job 9".into()));
    worker.forget().send().unwrap();
    assert_eq!(worker.count().await.unwrap(), 0);
    system.shutdown().await;
}
