//! The op classes: situations of issue 11 (and of bugs this soak found)
//! that the generator drives phyx into on purpose, each with a switch.
//!
//! Every class is on by default (each one's bug is fixed, and a regression
//! test for it is in `repros.rs` or `tests/tests/hangs.rs`); a class that
//! is off keeps the generator out of its situation.
//! `PHYX_SOAK_CLASSES=name,...` (or `all`, `none`) overrides.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// A handler waits on its own process: asks it (`SelfCall`),
    /// `send_wait`s into its full mailbox, `Handle::stop`s it.
    SelfAsk,
    /// A rest_for_one (or one_for_all) group restart while a later sibling
    /// is blocked asking the crashed child: the restart cancels the
    /// sibling's handler at once, and an ask of the sibling right after
    /// gets its reply within a second.
    SiblingAsk,
    /// Pools with small mailboxes whose members all hang: the router
    /// blocks delivering, and the pool must still stop.
    PoolStuck,
    /// A pool member stops for good (temporary members): the pool routes
    /// to the live ones.
    PoolDeadMember,
    /// 1030 crashes in a row of a process with a zero backoff: the delay
    /// stays zero.
    ZeroBackoff,
    /// The process state panics in `Drop`: a crash like any other.
    DropPanic,
    /// A handler calls `system.shutdown()`: it returns at once, and the
    /// whole system stops.
    HandlerShutdown,
    /// `t.crash` of a pool: ignored by its router, the pool lives on.
    PoolCrash,
    /// `Handle::stop` of a supervisor's child, then a group restart.
    ChildStop,
    /// A nested supervisor whose parent ends before starting it (spawned
    /// on a system already shut down).
    UnstartedNested,
    /// Exits of a group supervisor's children that overlap one another's
    /// group restarts (or the supervisor's own restart), and one_for_one
    /// supervisors driven past their intensity: a child recycled between
    /// its restart command and its next instance must still report.
    GroupOverlap,
    /// A member of a pool with a small mailbox stops for good while the
    /// pool's mailbox is full: its queue goes back to the pool all the same.
    PoolRequeue,
}

/// Every class: its name, whether it is on by default, and in what share
/// of programs (percent) its expansion appears when it is on.
pub(crate) const CLASSES: [(Class, &str, bool, u64); 12] = [
    (Class::SelfAsk, "self_ask", true, 60),
    (Class::SiblingAsk, "sibling_ask", true, 60),
    (Class::PoolStuck, "pool_stuck", true, 60),
    (Class::PoolDeadMember, "pool_dead_member", true, 60),
    // 1030 crashes cost as much as a hundred ordinary programs.
    (Class::ZeroBackoff, "zero_backoff", true, 5),
    (Class::DropPanic, "drop_panic", true, 60),
    (Class::HandlerShutdown, "handler_shutdown", true, 60),
    (Class::PoolCrash, "pool_crash", true, 60),
    (Class::ChildStop, "child_stop", true, 60),
    (Class::UnstartedNested, "unstarted_nested", true, 20),
    (Class::GroupOverlap, "group_overlap", true, 0),
    (Class::PoolRequeue, "pool_requeue", true, 60),
];

/// A set of classes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Classes(u32);

impl Classes {
    /// The classes on by default.
    pub(crate) fn defaults() -> Self {
        CLASSES
            .iter()
            .filter(|(_, _, on, _)| *on)
            .fold(Self::default(), |set, (class, ..)| set.with(*class))
    }

    pub(crate) fn with(self, class: Class) -> Self {
        Self(self.0 | 1 << class as u32)
    }

    pub(crate) fn has(self, class: Class) -> bool {
        self.0 & 1 << class as u32 != 0
    }

    /// `PHYX_SOAK_CLASSES` if set, else `default`.
    pub(crate) fn from_env(default: Self) -> Self {
        let Ok(list) = std::env::var("PHYX_SOAK_CLASSES") else {
            return default;
        };
        let mut set = Self::default();
        for name in list.split(',').map(str::trim).filter(|name| !name.is_empty()) {
            match name {
                "all" => CLASSES.iter().for_each(|(class, ..)| set = set.with(*class)),
                "none" => {}
                _ => match CLASSES.iter().find(|(_, known, ..)| *known == name) {
                    Some((class, ..)) => set = set.with(*class),
                    None => panic!(
                        "PHYX_SOAK_CLASSES: unknown class {name:?}; known: all, none, {}",
                        CLASSES.map(|(_, name, ..)| name).join(", ")
                    ),
                },
            }
        }
        set
    }
}

impl fmt::Display for Classes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<_> = CLASSES
            .iter()
            .filter(|(class, ..)| self.has(*class))
            .map(|(_, name, ..)| *name)
            .collect();
        if names.is_empty() {
            f.write_str("none")
        } else {
            f.write_str(&names.join(","))
        }
    }
}
