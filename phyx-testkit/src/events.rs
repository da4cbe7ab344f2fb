//! Every event of a test system, in order, with its virtual time.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use phyx::{
    StopReason,
    event::{Event, EventKind},
};

/// One recorded event and when it happened, as virtual time since the test
/// system started.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Recorded {
    /// Virtual time since the test system started.
    pub at: Duration,
    /// The event.
    pub event: Event,
}

impl fmt::Display for Recorded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:>10.3}s  {}", self.at.as_secs_f64(), self.event)
    }
}

/// Keeps every event a system publishes.
#[derive(Clone)]
pub(crate) struct Recorder {
    origin: Instant,
    events: Arc<Mutex<Vec<Recorded>>>,
}

impl Recorder {
    pub(crate) fn new(origin: Instant) -> Self {
        Self {
            origin,
            events: Arc::default(),
        }
    }

    pub(crate) fn record(&self, event: &Event) {
        let recorded = Recorded {
            at: event.at.saturating_duration_since(self.origin),
            event: event.clone(),
        };
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(recorded);
    }

    pub(crate) fn snapshot(&self) -> Events {
        Events {
            recorded: self.events.lock().unwrap_or_else(PoisonError::into_inner).clone(),
        }
    }
}

/// A snapshot of recorded events, with questions and assertions about
/// them. From [`TestSystem::events`](crate::TestSystem::events).
///
/// Displays as one line per event, with its virtual time.
#[derive(Debug, Clone)]
pub struct Events {
    recorded: Vec<Recorded>,
}

/// A restart, from [`Events::restarts_of`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RestartRecord {
    /// When the restart was scheduled (virtual time).
    pub at: Duration,
    /// 1 for the first restart within the restart window, then 2, ...
    pub attempt: u32,
    /// The backoff delay before the new instance started.
    pub delay: Duration,
}

/// A panic, from [`Events::panics_of`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PanicRecord {
    /// When it happened (virtual time).
    pub at: Duration,
    /// The method being handled, or `None` outside a handler.
    pub method: Option<&'static str>,
    /// The panic message.
    pub message: String,
}

impl Events {
    /// Every recorded event, in order.
    pub fn all(&self) -> &[Recorded] {
        &self.recorded
    }

    /// Only the events of processes named `name`.
    pub fn of(&self, name: &str) -> Self {
        self.filter(|recorded| &*recorded.event.name == name)
    }

    /// Only the events `keep` accepts.
    pub fn filter(&self, mut keep: impl FnMut(&Recorded) -> bool) -> Self {
        Self {
            recorded: self
                .recorded
                .iter()
                .filter(|recorded| keep(recorded))
                .cloned()
                .collect(),
        }
    }

    /// How many events `count` accepts.
    pub fn count(&self, mut count: impl FnMut(&EventKind) -> bool) -> usize {
        self.recorded
            .iter()
            .filter(|recorded| count(&recorded.event.kind))
            .count()
    }

    /// The restarts of processes named `name`, in order.
    pub fn restarts_of(&self, name: &str) -> Vec<RestartRecord> {
        self.of(name)
            .recorded
            .iter()
            .filter_map(|recorded| match recorded.event.kind {
                EventKind::Restarting { attempt, delay } => Some(RestartRecord {
                    at: recorded.at,
                    attempt,
                    delay,
                }),
                _ => None,
            })
            .collect()
    }

    /// The panics of processes named `name`, in order.
    pub fn panics_of(&self, name: &str) -> Vec<PanicRecord> {
        self.of(name)
            .recorded
            .iter()
            .filter_map(|recorded| match &recorded.event.kind {
                EventKind::Panicked { method, message } => Some(PanicRecord {
                    at: recorded.at,
                    method: *method,
                    message: message.to_string(),
                }),
                _ => None,
            })
            .collect()
    }

    /// Why processes named `name` stopped for good, and when.
    pub fn stops_of(&self, name: &str) -> Vec<(Duration, StopReason)> {
        self.of(name)
            .recorded
            .iter()
            .filter_map(|recorded| match &recorded.event.kind {
                EventKind::Stopped { reason } => Some((recorded.at, reason.clone())),
                _ => None,
            })
            .collect()
    }

    /// Asserts that a process named `name` panicked with `message` at
    /// virtual time `at`.
    ///
    /// # Panics
    ///
    /// If it did not, with the panics of `name` in the message.
    #[track_caller]
    pub fn assert_panicked(&self, name: &str, message: &str, at: Duration) {
        let panics = self.panics_of(name);
        if panics.iter().any(|panic| panic.message == message && panic.at == at) {
            return;
        }
        let mut recorded = String::new();
        for panic in &panics {
            let method = panic
                .method
                .map_or_else(String::new, |method| format!(" in `{method}`"));
            recorded += &format!("\n  {:>10.3}s{method}: {}", panic.at.as_secs_f64(), panic.message);
        }
        if panics.is_empty() {
            recorded = " none".to_owned();
        }
        panic!("expected `{name}` to panic with {message:?} at {at:?}; its panics:{recorded}");
    }

    /// Asserts that no event is of the kind `matches` accepts; `what` names
    /// that kind in the failure message.
    ///
    /// # Panics
    ///
    /// If one is, with the first such event in the message.
    #[track_caller]
    pub fn assert_none(&self, what: &str, mut matches: impl FnMut(&EventKind) -> bool) {
        let mut found = self.recorded.iter().filter(|recorded| matches(&recorded.event.kind));
        if let Some(first) = found.next() {
            let more = found.count();
            let more = if more == 0 {
                String::new()
            } else {
                format!(" (and {more} more)")
            };
            panic!("expected no {what}, found `{}`{more}", first.to_string().trim_start());
        }
    }

    /// One line per event (virtual time, process, what happened), for
    /// comparing runs.
    pub fn trace(&self) -> Vec<String> {
        self.recorded.iter().map(ToString::to_string).collect()
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.recorded.is_empty()
    }

    /// How many events were recorded.
    pub fn len(&self) -> usize {
        self.recorded.len()
    }
}

impl fmt::Display for Events {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.recorded.is_empty() {
            return f.write_str("  (no events)\n");
        }
        for recorded in &self.recorded {
            writeln!(f, "  {recorded}")?;
        }
        Ok(())
    }
}
