//! Faults injected into handlers without editing the process under test.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use phyx::testing::{Fault, FaultHook, SplitMix64};
use phyx::{Clock, ProcessId};
use tokio::sync::Semaphore;

use crate::clock::VirtualClock;

/// The faults a [`TestSystem`](crate::TestSystem) injects, consulted by the
/// runtime before each message is handled.
pub(crate) struct FaultPlan {
    clock: VirtualClock,
    seed: u64,
    rules: Mutex<Vec<Rule>>,
}

struct Rule {
    process: ProcessId,
    /// `None` matches every method.
    method: Option<&'static str>,
    when: When,
    action: Action,
    calls: u64,
    random: SplitMix64,
    spent: bool,
}

/// Which matching calls a fault hits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum When {
    Nth(u64),
    Every,
    Fraction(f64),
}

#[derive(Clone)]
pub(crate) enum Action {
    Panic(String),
    Delay(Duration),
    Stall(Arc<Semaphore>),
}

impl FaultPlan {
    pub(crate) fn new(clock: VirtualClock, seed: u64) -> Self {
        Self {
            clock,
            seed,
            rules: Mutex::new(Vec::new()),
        }
    }

    pub(crate) fn add(&self, process: ProcessId, method: Option<&'static str>, when: When, action: Action) {
        let mut rules = self.rules.lock().unwrap_or_else(PoisonError::into_inner);
        // Each rule draws from its own stream, so adding one does not
        // change the draws of another.
        let stream = self.seed ^ (rules.len() as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        rules.push(Rule {
            process,
            method,
            when,
            action,
            calls: 0,
            random: SplitMix64::new(stream),
            spent: false,
        });
    }

    /// Removes the stall rules waiting on `gate`.
    pub(crate) fn remove_stall(&self, gate: &Arc<Semaphore>) {
        let mut rules = self.rules.lock().unwrap_or_else(PoisonError::into_inner);
        rules.retain(|rule| !matches!(&rule.action, Action::Stall(other) if Arc::ptr_eq(other, gate)));
    }
}

impl FaultHook for FaultPlan {
    fn before_handle(&self, process: ProcessId, method: &'static str) -> Option<Fault> {
        let mut rules = self.rules.lock().unwrap_or_else(PoisonError::into_inner);
        let mut hit = None;
        // Every matching rule counts the call (and draws), hit or not, so
        // that rules do not depend on one another.
        for rule in rules.iter_mut() {
            if rule.spent || rule.process != process || rule.method.is_some_and(|m| m != method) {
                continue;
            }
            rule.calls += 1;
            let fires = match rule.when {
                When::Nth(n) => {
                    rule.spent = rule.calls >= n;
                    rule.calls == n
                }
                When::Every => true,
                When::Fraction(p) => rule.random.next_f64() < p,
            };
            if fires && hit.is_none() {
                hit = Some(rule.action.clone());
            }
        }
        drop(rules);
        Some(match hit? {
            Action::Panic(message) => Fault::Panic(message),
            Action::Delay(delay) => Fault::Wait(Box::pin(self.clock.sleep(delay))),
            Action::Stall(gate) => Fault::Wait(Box::pin(async move {
                // Closing the gate is how a stall is released.
                let _ = gate.acquire().await;
            })),
        })
    }
}

/// Which calls a fault hits and what it does; from
/// [`TestSystem::inject`](crate::TestSystem::inject). Without `nth`, `every` or `fraction`, it hits
/// the next call.
#[must_use = "say what the fault does: `.panic(...)` or `.delay(...)`"]
pub struct Injection<'a> {
    pub(crate) faults: &'a Arc<FaultPlan>,
    pub(crate) process: ProcessId,
    pub(crate) method: &'static str,
    pub(crate) when: When,
}

impl Injection<'_> {
    /// Hits the `n`th call from now on (1 is the next). When several
    /// faults hit one call, the one injected first decides.
    ///
    /// # Panics
    ///
    /// If `n` is 0.
    pub fn nth(mut self, n: u64) -> Self {
        assert!(n > 0, "calls are counted from 1: `nth(1)` is the next call");
        self.when = When::Nth(n);
        self
    }

    /// Hits every call from now on.
    pub fn every(mut self) -> Self {
        self.when = When::Every;
        self
    }

    /// Hits each call with probability `fraction`, drawn from the test's
    /// seed.
    ///
    /// # Panics
    ///
    /// If `fraction` is not within `0.0..=1.0`.
    pub fn fraction(mut self, fraction: f64) -> Self {
        assert!(
            (0.0..=1.0).contains(&fraction),
            "a fraction is within 0.0..=1.0, not {fraction}"
        );
        self.when = When::Fraction(fraction);
        self
    }

    /// The hit calls panic with `message` instead of running the handler:
    /// the caller gets `CallError::Panicked` and the process crashes.
    pub fn panic(self, message: &str) {
        self.faults.add(
            self.process,
            Some(self.method),
            self.when,
            Action::Panic(message.to_owned()),
        );
    }

    /// The hit calls wait `delay` of virtual time before the handler runs;
    /// the process handles nothing else meanwhile.
    pub fn delay(self, delay: Duration) {
        self.faults
            .add(self.process, Some(self.method), self.when, Action::Delay(delay));
    }
}

impl std::fmt::Debug for Injection<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Injection")
            .field("process", &self.process)
            .field("method", &self.method)
            .field("when", &self.when)
            .finish_non_exhaustive()
    }
}

/// A stalled process; see [`TestSystem::stall`](crate::TestSystem::stall). Dropping it releases the
/// process.
#[must_use = "the process resumes when this guard is dropped"]
pub struct Stall {
    pub(crate) faults: Arc<FaultPlan>,
    pub(crate) gate: Arc<Semaphore>,
}

impl Stall {
    /// Lets the process handle messages again.
    pub fn release(self) {}
}

impl Drop for Stall {
    fn drop(&mut self) {
        self.faults.remove_stall(&self.gate);
        self.gate.close();
    }
}

impl std::fmt::Debug for Stall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stall").finish_non_exhaustive()
    }
}
