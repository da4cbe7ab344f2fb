//! Processes and helpers shared by the behaviour tests in `tests/tests/`.

pub mod file_journal;
pub mod isolated;
pub mod remote;
pub mod saga_node;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use phyx::prelude::*;
use phyx::{
    StopReason, SystemBuilder,
    event::{Event, EventKind},
};
use tokio::sync::Semaphore;

/// A counter that keeps the order of its increments and can be made to
/// panic or to block on a [`Gate`].
#[derive(Default)]
pub struct Counter {
    history: Vec<u64>,
}

#[process]
impl Counter {
    /// Adds `by`; returns the new total.
    #[public]
    pub fn increment(&mut self, by: u64) -> u64 {
        self.history.push(by);
        self.total()
    }

    /// The total of every increment.
    #[public]
    pub fn get(&self) -> u64 {
        self.total()
    }

    /// Every increment, in the order handled.
    #[public]
    pub fn history(&self) -> Vec<u64> {
        self.history.clone()
    }

    /// Panics with `message`.
    #[public]
    pub fn fail(&mut self, message: String) -> u64 {
        panic!("{message}")
    }

    /// Panics with `message` after `delay`, from an async handler.
    #[public]
    pub async fn fail_after(&mut self, ctx: &mut Ctx<Self>, delay: Duration, message: String) {
        ctx.sleep(delay).await;
        panic!("{message}")
    }

    /// Blocks this process until `gate` opens; returns the total.
    #[public]
    pub async fn wait(&self, gate: Gate) -> u64 {
        gate.pass().await;
        self.total()
    }

    /// Replies `Err` when `by` is zero: an error reply, not a crash.
    #[public]
    pub fn checked_divide(&self, by: u64) -> Result<u64, String> {
        self.total()
            .checked_div(by)
            .ok_or_else(|| "division by zero".to_owned())
    }

    /// Stops this process normally after replying.
    #[public]
    pub fn quit(&mut self, ctx: &mut Ctx<Self>) {
        ctx.stop();
    }

    fn total(&self) -> u64 {
        self.history.iter().sum()
    }
}

/// A latch for blocking a handler until the test lets it go.
#[derive(Clone)]
pub struct Gate {
    entered: Arc<Semaphore>,
    open: Arc<Semaphore>,
}

impl Gate {
    pub fn new() -> Self {
        Self {
            entered: Arc::new(Semaphore::new(0)),
            open: Arc::new(Semaphore::new(0)),
        }
    }

    /// Inside a handler: announce arrival, then wait for [`open`](Self::open).
    pub async fn pass(&self) {
        self.entered.add_permits(1);
        // Closing is how the gate opens, so the error is the signal.
        let _ = self.open.acquire().await;
    }

    /// Waits until a handler is blocked at this gate.
    pub async fn entered(&self) {
        self.entered
            .acquire()
            .await
            .expect("the entered semaphore is never closed")
            .forget();
    }

    /// Lets every handler at this gate, now and later, through.
    pub fn open(&self) {
        self.open.close();
    }
}

impl Default for Gate {
    fn default() -> Self {
        Self::new()
    }
}

/// Every event of a system, in order.
#[derive(Clone, Default)]
pub struct EventLog {
    events: Arc<Mutex<Vec<Event>>>,
}

impl EventLog {
    /// A system whose events all land in the returned log.
    pub fn system() -> (System, Self) {
        Self::system_with(System::builder())
    }

    pub fn system_with(builder: SystemBuilder) -> (System, Self) {
        let log = Self::default();
        let sink = log.events.clone();
        let system = builder
            .on_event(move |event| sink.lock().unwrap().push(event.clone()))
            .build();
        (system, log)
    }

    pub fn all(&self) -> Vec<Event> {
        self.events.lock().unwrap().clone()
    }

    /// The kinds of events of processes named `name`, in order.
    pub fn kinds_of(&self, name: &str) -> Vec<EventKind> {
        self.all()
            .into_iter()
            .filter(|event| &*event.name == name)
            .map(|event| event.kind)
            .collect()
    }

    /// Restart attempts and their delays, of processes named `name`.
    pub fn restarts_of(&self, name: &str) -> Vec<(u32, Duration)> {
        self.kinds_of(name)
            .into_iter()
            .filter_map(|kind| match kind {
                EventKind::Restarting { attempt, delay } => Some((attempt, delay)),
                _ => None,
            })
            .collect()
    }

    /// Why processes named `name` stopped for good.
    pub fn stop_reasons_of(&self, name: &str) -> Vec<StopReason> {
        self.kinds_of(name)
            .into_iter()
            .filter_map(|kind| match kind {
                EventKind::Stopped { reason } => Some(reason),
                _ => None,
            })
            .collect()
    }
}

/// A directory of its own for one test, under the system's temporary
/// directory (`phyx-<name>-<pid>`), empty at first and removed when
/// dropped.
pub struct Scratch(pub std::path::PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!("phyx-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        Self(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A shared list of what happened, for hooks to write to.
#[derive(Clone, Default)]
pub struct Journal {
    entries: Arc<Mutex<Vec<String>>>,
}

impl Journal {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn write(&self, entry: impl Into<String>) {
        self.entries.lock().unwrap().push(entry.into());
    }

    pub fn entries(&self) -> Vec<String> {
        self.entries.lock().unwrap().clone()
    }
}
