//! The checks once a program has run: every call resolves, shutdown is
//! bounded and stops everything, every task's findings, and the checks
//! against the events (restart delays, every tell accounted for, why
//! pools stopped).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::Ordering::SeqCst;
use std::time::Duration;

use phyx::prelude::*;
use phyx::{Clock, Overflow, Status, StopReason, event::EventKind};

use crate::driver::Stats;
use crate::processes::Fate;
use crate::program::{Msg, Op};
use crate::run::Run;
use crate::util::lock;

/// How long virtual time may run for the program's calls to resolve.
const LIVENESS: Duration = Duration::from_secs(3600);
const LIVENESS_STEP: Duration = Duration::from_secs(10);

/// What the events say of one process, for the checks of its tells.
#[derive(Default)]
struct Seen {
    /// `MessageDropped` events of tells, `[tells, delayed tells]`: when.
    dropped: [Vec<Duration>; 2],
    /// `MessageRejected` events of tells, likewise.
    rejected: [Vec<Duration>; 2],
    /// Its last `Stopped` event: when, and why.
    stopped: Option<(Duration, StopReason)>,
}

impl Run<'_> {
    /// Processes that may legitimately never answer an ask without a
    /// timeout: sent a message that never returns, or asking (without a
    /// timeout) one that may not.
    fn may_hang(&self) -> BTreeSet<usize> {
        let mut hung = BTreeSet::new();
        let mut edges = Vec::new();
        for op in &self.program.ops {
            let (Op::Tell { to, msg } | Op::TellWait { to, msg } | Op::Ask { to, msg, .. }) = op else {
                continue;
            };
            match msg {
                Msg::Hang => {
                    hung.insert(*to);
                }
                Msg::AskOther { peer, timeout_ms: None } => edges.push((*to, *peer)),
                _ => {}
            }
        }
        loop {
            let newly: Vec<usize> = edges
                .iter()
                .filter(|(from, to)| hung.contains(to) && !hung.contains(from))
                .map(|(from, _)| *from)
                .collect();
            if newly.is_empty() {
                return hung;
            }
            hung.extend(newly);
        }
    }

    pub(crate) async fn finish(mut self) -> (Vec<String>, Stats, String) {
        // Every call resolves while virtual time runs.
        let hung = self.may_hang();
        let must: Vec<usize> = (0..self.tasks.len())
            .filter(|&i| !self.tasks[i].waits_on.is_some_and(|to| hung.contains(&to)))
            .collect();
        let mut waited = Duration::ZERO;
        loop {
            self.t.settle().await;
            if must.iter().all(|&i| self.tasks[i].join.is_finished()) || waited >= LIVENESS {
                break;
            }
            self.t.advance(LIVENESS_STEP).await;
            waited += LIVENESS_STEP;
        }
        for &i in &must {
            let task = &self.tasks[i];
            if !task.join.is_finished() {
                self.violations.push(format!(
                    "op #{}: {:?} still unresolved after {waited:?} more of virtual time (a hang)",
                    task.op, self.program.ops[task.op]
                ));
            }
        }

        // A finished shutdown stopped everything.
        if self.world.is_shut_down() {
            self.t.advance(self.bound).await;
            for (what, status) in self.statuses() {
                if status != Status::Stopped {
                    self.violations.push(format!(
                        "{what} is {status:?}, {:?} after the system shut down",
                        self.bound
                    ));
                }
            }
        }

        // `t.shutdown()` finishes, within the bound.
        let before = self.t.elapsed();
        let guard = self.bound + Duration::from_secs(1);
        let finished = tokio::select! {
            biased;
            () = self.t.shutdown() => true,
            () = self.clock.sleep(guard) => false,
        };
        let took = self.t.elapsed() - before;
        if !finished {
            self.violations.push(format!(
                "t.shutdown() not finished after {guard:?} of virtual time (bound {:?})",
                self.bound
            ));
        } else if took > self.bound {
            self.violations.push(format!(
                "t.shutdown() took {took:?} of virtual time, above the bound {:?}",
                self.bound
            ));
        }

        // Every task has finished by now; leftovers are hangs.
        let mut stats = Stats {
            ops: self.program.ops.len() as u64,
            tasks: self.tasks.len() as u64,
            ..Stats::default()
        };
        for task in std::mem::take(&mut self.tasks) {
            if !task.join.is_finished() {
                self.violations.push(format!(
                    "op #{}: {:?} still unresolved after shutdown (a hang)",
                    task.op, self.program.ops[task.op]
                ));
                task.join.abort();
                continue;
            }
            match task.join.await {
                Ok(outcome) => {
                    for wrong in outcome.wrong {
                        self.violations.push(format!("op #{}: {wrong}", task.op));
                    }
                    if let Some(took) = outcome.shutdown_took.filter(|took| *took > self.bound) {
                        self.violations.push(format!(
                            "op #{}: System::shutdown() took {took:?}, above the bound {:?}",
                            task.op, self.bound
                        ));
                    }
                }
                Err(error) => self
                    .violations
                    .push(format!("op #{}: the task failed: {error}", task.op)),
            }
        }
        self.violations.extend(self.world.take_violations());

        // Every handle reports Stopped.
        for (what, status) in self.statuses() {
            if status != Status::Stopped {
                self.violations.push(format!("{what} is {status:?} after t.shutdown()"));
            }
        }

        let events = self.t.events();
        stats.events = events.len() as u64;
        stats.virtual_time = self.t.elapsed();
        self.check_events(&events, &mut stats, finished);
        let trace = events.to_string();

        // Break the cycles through the handles, outside their locks.
        for live in &self.targets {
            let handle = lock(&live.target.handle).take();
            drop(handle);
        }
        let system = lock(&self.world.system).take();
        drop(system);
        (self.violations, stats, trace)
    }

    /// Restart delays, every tell accounted for against the drop and
    /// reject events, and why pools stopped.
    fn check_events(&mut self, events: &phyx_testkit::Events, stats: &mut Stats, shut_down: bool) {
        let mut seen: BTreeMap<u64, Seen> = BTreeMap::new();
        // Pool members by name: when each stopped.
        let mut stopped_at: BTreeMap<&str, Duration> = BTreeMap::new();
        for recorded in events.all() {
            let event = &recorded.event;
            match &event.kind {
                EventKind::Restarting { attempt, delay } => {
                    stats.restarts += 1;
                    let Some(spec) = self.backoffs.get(&*event.name) else {
                        self.violations.push(format!(
                            "a restart of {} whose backoff the model does not know",
                            event.name
                        ));
                        continue;
                    };
                    if !spec.allows(*attempt, *delay) {
                        self.violations.push(format!(
                            "{} at {:?}: restart attempt {attempt} waits {delay:?}; its backoff {spec:?} says {:?}",
                            event.name,
                            recorded.at,
                            spec.base(*attempt)
                        ));
                    }
                }
                EventKind::Panicked { .. } => stats.panics += 1,
                EventKind::Stopped { reason } => {
                    stopped_at.insert(&*event.name, recorded.at);
                    seen.entry(event.process.get()).or_default().stopped = Some((recorded.at, reason.clone()));
                }
                EventKind::MessageDropped { method } | EventKind::MessageRejected { method } => {
                    let dropped = matches!(event.kind, EventKind::MessageDropped { .. });
                    if dropped {
                        stats.dropped += 1;
                    } else {
                        stats.rejected += 1;
                    }
                    let later = match *method {
                        "tell_sync" | "tell_async" => 0,
                        "tell_later" => 1,
                        _ => continue,
                    };
                    let entry = seen.entry(event.process.get()).or_default();
                    if dropped {
                        entry.dropped[later].push(recorded.at);
                    } else {
                        entry.rejected[later].push(recorded.at);
                    }
                }
                _ => {}
            }
        }
        self.check_pools(&seen, &stopped_at);
        if !shut_down {
            self.violations
                .push("tells not accounted for: the system never shut down".to_owned());
            return;
        }
        let none = Seen::default();
        for (number, live) in self.targets.iter().enumerate() {
            let target = &live.target;
            let seen = seen.get(&live.handle.id().get()).unwrap_or(&none);
            for later in [false, true] {
                let fate = &target.fates[usize::from(later)];
                let [accepted, handled, mut live_lost, mut stopping, mut shutdown] = [
                    &fate.accepted,
                    &fate.handled,
                    &fate.lost_live,
                    &fate.lost_stopping,
                    &fate.lost_shutdown,
                ]
                .map(Fate::get);
                stats.tells += accepted;
                let what = if later { "delayed tells" } else { "tells" };
                let name = format!("process {number} ({})", target.name);
                if accepted != handled + live_lost + stopping + shutdown {
                    self.violations.push(format!(
                        "{name}: {accepted} {what} accepted, {handled} handled, {live_lost} lost while live, \
                         {stopping} while stopping, {shutdown} at shutdown: {} unaccounted for",
                        accepted as i64 - (handled + live_lost + stopping + shutdown) as i64
                    ));
                }
                // A pool whose members have all stopped for good drops the
                // tell its router holds as it stops, still `Running`.
                if let Some((gave_up, StopReason::Escalated { .. })) = &seen.stopped {
                    if target.members.is_some() {
                        for (at, during_shutdown) in lock(&fate.live_at).iter() {
                            if at == gave_up {
                                if *during_shutdown {
                                    shutdown -= 1;
                                } else {
                                    live_lost -= 1;
                                }
                                stopping += 1;
                            }
                        }
                    }
                }
                let (drops, rejections) = (&seen.dropped[usize::from(later)], &seen.rejected[usize::from(later)]);
                // A tell lost while `Stopping` with no stop for good asked
                // is lost as the process stops for good (its queue failing
                // then), or evicted (a delayed one also refused) at that
                // instant; a child parked for a group restart keeps its
                // queue for its next instance.
                let mut evictions = drops.clone();
                if later {
                    evictions.extend(rejections);
                }
                for at in lock(&fate.unexplained_stopping).iter() {
                    if seen.stopped.as_ref().is_some_and(|(stopped, _)| stopped == at) {
                        continue;
                    }
                    match evictions.iter().position(|evicted| evicted == at) {
                        Some(found) => {
                            evictions.swap_remove(found);
                        }
                        None => self.violations.push(format!(
                            "{name}: one of its {what} lost at {at:?} while it was Stopping, with no stop for good \
                             asked, no eviction then, and its stop for good at {:?}",
                            seen.stopped.as_ref().map(|(stopped, _)| *stopped)
                        )),
                    }
                }
                let (dropped, rejected) = (drops.len() as u64, rejections.len() as u64);
                if later {
                    let events = dropped + rejected;
                    if live_lost > events || events > live_lost + stopping + shutdown {
                        self.violations.push(format!(
                            "{name}: {live_lost} {what} lost while live, {stopping} while stopping, {shutdown} at \
                             shutdown, against {dropped} dropped and {rejected} rejected events"
                        ));
                    }
                    continue;
                }
                // Evictions of a live process, also while the system shuts
                // down around it, are the only losses without a stop.
                if live_lost + shutdown > dropped || dropped > live_lost + shutdown + stopping {
                    self.violations.push(format!(
                        "{name}: {live_lost} {what} lost while live, {shutdown} while live at shutdown and {stopping} \
                         while stopping, against {dropped} MessageDropped events (under {:?})",
                        target.overflow
                    ));
                }
                let refused = target.rejected.load(SeqCst);
                if rejected != refused {
                    self.violations.push(format!(
                        "{name}: {refused} tells refused as full, against {rejected} MessageRejected events"
                    ));
                }
                if dropped > 0 && target.overflow != Overflow::DropOldest {
                    self.violations
                        .push(format!("{name}: {dropped} tells dropped under {:?}", target.overflow));
                }
            }
        }
    }

    /// A pool stops because it was stopped, or because each of its members
    /// has stopped for good; never because it was crashed.
    fn check_pools(&mut self, seen: &BTreeMap<u64, Seen>, stopped_at: &BTreeMap<&str, Duration>) {
        for (number, live) in self.targets.iter().enumerate() {
            let Some(members) = live.target.members else { continue };
            let name = &live.target.name;
            let stopped = seen.get(&live.handle.id().get()).and_then(|seen| seen.stopped.as_ref());
            match stopped {
                Some((at, StopReason::Escalated { reason })) => {
                    let expected = format!("all {members} members of the pool stopped for good");
                    if **reason != *expected {
                        self.violations.push(format!(
                            "pool {number} ({name}) stopped at {at:?} for {reason:?}, not {expected:?}"
                        ));
                    }
                    for member in 0..members {
                        let member = format!("{name}[{member}]");
                        if stopped_at.get(member.as_str()).is_none_or(|stopped| stopped > at) {
                            self.violations.push(format!(
                                "pool {number} ({name}) stopped at {at:?} as if all its members had, but {member} \
                                 stopped at {:?}",
                                stopped_at.get(member.as_str())
                            ));
                        }
                    }
                }
                Some((at, reason)) if live.gave_up => self.violations.push(format!(
                    "pool {number} ({name}) stopped at {at:?} ({reason}) though nobody stopped it"
                )),
                Some((_, StopReason::Shutdown)) => {}
                Some((at, reason)) => self
                    .violations
                    .push(format!("pool {number} ({name}) stopped at {at:?} for {reason}")),
                None => self
                    .violations
                    .push(format!("pool {number} ({name}) has no Stopped event")),
            }
        }
    }
}
