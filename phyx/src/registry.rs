//! Names for processes, unique in their system: what
//! [`System::register`](crate::System::register) and
//! [`System::lookup`](crate::System::lookup) read and write.
//!
//! A feature on top of the kernel: it holds the processes it names, and
//! hears of their stop for good through the kernel's watch list (one
//! entry per named process, `WatchKey::Registry`), which releases the name.
//! Nothing of it runs on a call.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use crate::error::{LookupError, RegisterError};
use crate::id::ProcessId;
use crate::kernel::addr::Addr;
use crate::kernel::process::Handle;
use crate::kernel::tree::AnyProcess;
use crate::kernel::watch::{Down, WatchKey, Watched};

/// The names of one system.
#[derive(Default)]
pub(crate) struct Registry {
    names: Arc<Mutex<Names>>,
}

#[derive(Default)]
struct Names {
    /// Invariant: `by_name` and `by_process` are each other's inverse.
    by_name: HashMap<Arc<str>, Entry>,
    by_process: HashMap<ProcessId, Arc<str>>,
}

struct Entry {
    node: Arc<dyn AnyProcess>,
    /// The handle type it was registered with, for a wrong lookup's error.
    handle_type: &'static str,
}

impl Names {
    fn release(&mut self, name: &str, id: ProcessId) {
        if self.by_name.get(name).is_some_and(|entry| entry.node.core().id == id) {
            self.by_name.remove(name);
            self.by_process.remove(&id);
        }
    }
}

fn lock(names: &Mutex<Names>) -> MutexGuard<'_, Names> {
    names.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Registry {
    pub(crate) fn register<H: Handle>(&self, name: &str, handle: &H) -> Result<(), RegisterError> {
        let node = handle.__addr().node();
        let core = node.core();
        let mut names = lock(&self.names);
        if let Some(entry) = names.by_name.get(name) {
            let holder = entry.node.core();
            if holder.id == core.id {
                return Ok(());
            }
            return Err(RegisterError::Taken {
                name: name.into(),
                holder: holder.id,
                holder_name: holder.name.clone(),
            });
        }
        if let Some(existing) = names.by_process.get(&core.id) {
            return Err(RegisterError::AlreadyNamed {
                name: name.into(),
                existing: existing.clone(),
                process: core.name.clone(),
            });
        }
        let name: Arc<str> = name.into();
        let weak: Weak<Mutex<Names>> = Arc::downgrade(&self.names);
        let released = name.clone();
        // Runs in the process's task when it stops for good; takes this
        // lock, never while holding the watch list's (see `Watchers::close`).
        let release = Box::new(move |down: &Down| {
            if let Some(names) = weak.upgrade() {
                lock(&names).release(&released, down.id);
            }
        });
        match core.watchers.add(WatchKey::Registry, release) {
            Watched::Now | Watched::Already => {}
            Watched::Gone(..) => {
                return Err(RegisterError::Stopped {
                    name,
                    process: core.name.clone(),
                });
            }
        }
        names.by_process.insert(core.id, name.clone());
        names.by_name.insert(
            name,
            Entry {
                node: node.clone(),
                handle_type: std::any::type_name::<H>(),
            },
        );
        Ok(())
    }

    pub(crate) fn lookup<H: Handle>(&self, name: &str) -> Result<H, LookupError> {
        let names = lock(&self.names);
        let entry = names
            .by_name
            .get(name)
            .ok_or_else(|| LookupError::NotFound { name: name.into() })?;
        match Addr::<H::Message>::of(entry.node.clone()) {
            Some(addr) => Ok(H::__from_addr(addr)),
            None => Err(LookupError::WrongType {
                name: name.into(),
                requested: short_type_name(std::any::type_name::<H>()),
                registered: short_type_name(entry.handle_type),
            }),
        }
    }

    /// Releases `name`; whether it was registered.
    pub(crate) fn unregister(&self, name: &str) -> bool {
        let mut names = lock(&self.names);
        let Some(entry) = names.by_name.remove(name) else {
            return false;
        };
        let core = entry.node.core();
        names.by_process.remove(&core.id);
        core.watchers.remove(WatchKey::Registry);
        true
    }
}

/// A type's name without its module paths, generics kept:
/// `my_app::shop::CounterRef` is `CounterRef`, `a::Pair<b::X, c::Y>` is
/// `Pair<X, Y>`.
pub(crate) fn short_type_name(full: &str) -> Arc<str> {
    let mut short = String::with_capacity(full.len());
    let mut segment = String::new();
    for c in full.chars() {
        if c.is_alphanumeric() || c == '_' || c == ':' {
            segment.push(c);
        } else {
            short.push_str(segment.rsplit("::").next().unwrap_or(&segment));
            segment.clear();
            short.push(c);
        }
    }
    short.push_str(segment.rsplit("::").next().unwrap_or(&segment));
    short.into()
}

#[cfg(test)]
mod tests {
    use super::short_type_name;

    #[test]
    fn short_type_names_drop_module_paths() {
        assert_eq!(&*short_type_name("app::shop::CounterRef"), "CounterRef");
        assert_eq!(&*short_type_name("CounterRef"), "CounterRef");
        assert_eq!(
            &*short_type_name("app::Pair<alloc::string::String, app::x::Y>"),
            "Pair<String, Y>"
        );
    }
}
