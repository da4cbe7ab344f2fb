//! Faults injected into handlers without editing the process under test.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use phyx::__private::{Fault, FaultHook, SplitMix64};
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
