//! A hierarchy: a task manager spawns workers on request, as its own
//! children, and hands every task to all of them. The workers stop when
//! their manager stops.
//!
//! Run with `cargo run --example task_manager`.

use phyx::prelude::*;
use phyx::{CallError, SendError, SpawnOptions, Status};

pub struct Worker {
    id: usize,
    completed: u32,
}

#[process]
impl Worker {
    #[public]
    pub fn task(&mut self, data: String) {
        self.completed += 1;
        println!("worker {} processing {data:?}", self.id);
    }

    #[public]
    pub fn completed(&self) -> u32 {
        self.completed
    }
}

#[derive(Default)]
pub struct TaskManager {
    workers: Vec<WorkerRef>,
}

#[process]
impl TaskManager {
    /// Starts one more worker, as a child of this process; returns its id.
    #[public]
    pub fn spawn_worker(&mut self, ctx: &mut Ctx<Self>) -> usize {
        let id = self.workers.len();
        let name = format!("worker-{id}");
        let worker = ctx.spawn_with(move || Worker { id, completed: 0 }, SpawnOptions::new().name(&name));
        self.workers.push(worker);
        id
    }

    /// Sends `data` to every worker; returns how many got it.
    #[public]
    pub fn distribute(&self, data: String) -> Result<usize, SendError> {
        for worker in &self.workers {
            worker.task(data.clone()).send()?;
        }
        Ok(self.workers.len())
    }

    /// How many tasks each worker completed.
    #[public]
    pub async fn report(&self) -> Result<Vec<u32>, CallError> {
        let mut completed = Vec::new();
        for worker in &self.workers {
            completed.push(worker.completed().await?);
        }
        Ok(completed)
    }

    /// The workers' handles.
    #[public]
    pub fn workers(&self) -> Vec<WorkerRef> {
        self.workers.clone()
    }
}

#[derive(Debug)]
pub struct Summary {
    /// Tasks completed per worker.
    pub completed: Vec<u32>,
    /// Each worker's status after the manager stopped.
    pub after_stop: Vec<Status>,
}

pub async fn run(system: &System) -> Result<Summary, CallError> {
    let manager: TaskManagerRef = system.spawn(TaskManager::default);
    for _ in 0..3 {
        let id = manager.spawn_worker().await?;
        println!("spawned worker {id}");
    }
    for task in ["resize images", "send emails"] {
        let reached = manager.distribute(task.into()).await??;
        println!("distributed {task:?} to {reached} workers");
    }
    let completed = manager.report().await??;
    println!("tasks completed per worker: {completed:?}");

    let workers = manager.workers().await?;
    manager.stop().await; // children stop first
    let after_stop: Vec<Status> = workers.iter().map(|worker| worker.status()).collect();
    println!("after the manager stopped, its workers are: {after_stop:?}");
    Ok(Summary { completed, after_stop })
}

#[tokio::main]
async fn main() -> Result<(), CallError> {
    let system = System::new();
    run(&system).await?;
    system.shutdown().await;
    Ok(())
}
