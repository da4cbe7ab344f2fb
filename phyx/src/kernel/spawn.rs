//! Making a process: its address in the tree, its guards, its task.

use std::sync::Arc;

use crate::cache::Caches;
use crate::event::EventKind;
use crate::kernel::addr::{Addr, Shared};
use crate::kernel::process::{Handle, Message, Process};
use crate::kernel::run::run;
use crate::kernel::system::SystemInner;
use crate::kernel::tree::{AnyProcess, Core};
use crate::options::{Settings, SpawnOptions};

/// Registers and starts a process under `parent` (the root when `None`).
pub(crate) fn spawn<T: Process>(
    system: &Arc<SystemInner>,
    parent: Option<Arc<dyn AnyProcess>>,
    factory: impl Fn() -> T + Send + Sync + 'static,
    options: SpawnOptions,
) -> T::Ref {
    let settings = options.or(T::options()).resolve(T::NAME);
    let shared = register(system, parent, &settings);
    install_guards::<T>(system, &shared.core);
    if let Some(spec) = T::__supervision() {
        spec.reserve(system, &shared);
    }
    system
        .runtime
        .spawn(run(shared.clone(), move || Ok(factory()), settings));
    T::Ref::__from_addr(Addr::new(shared))
}

/// Builds the rate limits, breakers and caches `T` declares; they live as
/// long as the process, across its restarts.
pub(crate) fn install_guards<T: Process>(system: &Arc<SystemInner>, core: &Core) {
    if !T::__GUARDS.is_empty() {
        let _ = core.guards.set(crate::resilience::build(&system.clock, T::__GUARDS));
    }
    if T::__CACHES > 0 {
        let _ = core.caches.set(Caches::new(T::__CACHES));
    }
}

/// Creates a process's address and puts it in the tree under `parent`.
pub(crate) fn register<M: Message>(
    system: &Arc<SystemInner>,
    parent: Option<Arc<dyn AnyProcess>>,
    settings: &Settings,
) -> Arc<Shared<M>> {
    let parent_id = parent.as_ref().map(|parent| parent.core().id);
    let shared = Arc::new(Shared::new(system, parent, settings));
    shared.core.siblings().insert(shared.clone());
    // Checked after inserting: a parent that starts stopping from now on
    // finds this child in its list, one that already has is caught here.
    let parent_stopping = match &shared.core.parent {
        Some(parent) => parent.core().stop_requested(),
        None => system.shutting_down.is_raised(),
    };
    if parent_stopping {
        shared.request_stop();
    }
    shared.core.publish(EventKind::Spawned { parent: parent_id });
    shared
}
