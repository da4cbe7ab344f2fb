//! The state every process of a system shares: its clock, its tree's
//! root, its events, its random draws and the runtime it runs on.

use std::future::Future;
#[cfg(any(feature = "isolated", feature = "journal"))]
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use crate::clock::Clock;
use crate::event::{Event, EventHub, EventKind, EventStream, Sink};
use crate::fault::FaultHook;
use crate::id::ProcessId;
use crate::kernel::tree::{Children, Flag};
use crate::rng::SplitMix64;

pub(crate) struct SystemInner {
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) root: Children,
    pub(crate) events: EventHub,
    rng: Mutex<SplitMix64>,
    pub(crate) seed: u64,
    next_id: AtomicU64,
    pub(crate) shutting_down: Flag,
    /// Raised once a shutdown has stopped every process.
    pub(crate) shut_down: Flag,
    pub(crate) runtime: tokio::runtime::Handle,
    pub(crate) faults: Option<Arc<dyn FaultHook>>,
    /// What a layer above attaches to the system for its processes to
    /// find: the cluster's node and settings, which an isolated process
    /// needs to start its OS process (see `system/isolated.rs`). Typed
    /// there; the kernel does not know it.
    #[cfg(feature = "isolated")]
    pub(crate) attached: OnceLock<Arc<dyn std::any::Any + Send + Sync>>,
    /// The journal store of event-sourced processes, and the journals
    /// open (see `journal/session.rs`). Typed there.
    #[cfg(feature = "journal")]
    pub(crate) journals: OnceLock<Arc<dyn std::any::Any + Send + Sync>>,
}

impl SystemInner {
    pub(crate) fn new(
        clock: Arc<dyn Clock>,
        sinks: Vec<Sink>,
        seed: u64,
        faults: Option<Arc<dyn FaultHook>>,
        runtime: tokio::runtime::Handle,
    ) -> Self {
        Self {
            clock,
            root: Children::default(),
            events: EventHub::new(sinks),
            rng: Mutex::new(SplitMix64::new(seed)),
            seed,
            next_id: AtomicU64::new(1),
            shutting_down: Flag::default(),
            shut_down: Flag::default(),
            runtime,
            faults,
            #[cfg(feature = "isolated")]
            attached: OnceLock::new(),
            #[cfg(feature = "journal")]
            journals: OnceLock::new(),
        }
    }

    /// Every event from now on.
    pub(crate) fn subscribe(&self) -> EventStream {
        self.events.subscribe()
    }

    pub(crate) fn publish(&self, process: ProcessId, name: &Arc<str>, kind: EventKind) {
        crate::meter::event(name, &kind);
        self.events.publish(Event {
            at: self.clock.now(),
            process,
            name: name.clone(),
            kind,
        });
    }

    pub(crate) fn next_id(&self) -> ProcessId {
        ProcessId(self.next_id.fetch_add(1, Ordering::Relaxed))
    }

    pub(crate) fn spawn_task(&self, task: impl Future<Output = ()> + Send + 'static) {
        self.runtime.spawn(task);
    }

    /// A uniform draw in `0.0..1.0` from the system's seed.
    pub(crate) fn random(&self) -> f64 {
        self.rng.lock().unwrap_or_else(PoisonError::into_inner).next_f64()
    }

    /// Runs a timer task that the system's shutdown cancels.
    pub(crate) fn spawn_timer(self: &Arc<Self>, timer: impl Future<Output = ()> + Send + 'static) {
        let system = self.clone();
        self.runtime.spawn(async move {
            tokio::select! {
                () = timer => {}
                () = system.shutting_down.raised() => {}
            }
        });
    }
}

/// Starts shutting the system down, in a task of its own so that nothing
/// can abandon it halfway; a second call finds it started.
pub(crate) fn start_shutdown(inner: &Arc<SystemInner>) {
    if inner.shutting_down.raise_once() {
        let inner = inner.clone();
        inner.clone().runtime.spawn(async move {
            inner.root.stop_all().await;
            inner.events.close();
            inner.shut_down.raise();
        });
    }
}
