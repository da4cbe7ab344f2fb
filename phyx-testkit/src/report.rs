//! What a failed test prints: the seed, how many events of each kind, and
//! the last few events; every one on request.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use crate::events::{Events, Recorded};
use crate::seed::SEED_VAR;

/// The environment variable that chooses how many events a failed test
/// prints, after the count of each kind: `PHYX_EVENTS=all cargo test` for
/// every one, `PHYX_EVENTS=200` for the last 200; the last 40 otherwise.
pub const EVENTS_VAR: &str = "PHYX_EVENTS";

/// How many events a failed test prints unless [`EVENTS_VAR`] says
/// (documented there).
pub(crate) const DEFAULT_LAST: usize = 40;

/// How many of the recorded events to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Show {
    All,
    Last(usize),
}

impl Show {
    /// As [`EVENTS_VAR`] says.
    pub(crate) fn from_env() -> Self {
        Self::parse(std::env::var(EVENTS_VAR).ok().as_deref())
    }

    fn parse(value: Option<&str>) -> Self {
        match value.map(str::trim) {
            Some(all) if all.eq_ignore_ascii_case("all") => Self::All,
            Some(n) => n.parse().map_or(Self::Last(DEFAULT_LAST), Self::Last),
            None => Self::Last(DEFAULT_LAST),
        }
    }
}

/// The report of a failed test: its seed and virtual time, then
/// [`Summary`].
pub(crate) struct FailureReport<'a> {
    pub(crate) seed: u64,
    pub(crate) elapsed: Duration,
    pub(crate) events: &'a Events,
    pub(crate) show: Show,
}

impl fmt::Display for FailureReport<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "phyx-testkit: seed {seed} (replay with {SEED_VAR}={seed}); at {elapsed:?} of virtual time",
            seed = self.seed,
            elapsed = self.elapsed,
        )?;
        Summary {
            events: self.events,
            show: self.show,
        }
        .fmt(f)
    }
}

/// How many events of each kind, then the last few (or all), one a line.
pub(crate) struct Summary<'a> {
    pub(crate) events: &'a Events,
    pub(crate) show: Show,
}

impl fmt::Display for Summary<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let all = self.events.all();
        if all.is_empty() {
            return f.write_str("no events\n");
        }
        let mut counts = BTreeMap::<String, usize>::new();
        for recorded in all {
            *counts.entry(kind(recorded)).or_default() += 1;
        }
        let mut counts: Vec<_> = counts.into_iter().collect();
        // Most frequent first; the map already sorted ties by name.
        counts.sort_by_key(|&(_, n)| std::cmp::Reverse(n));
        let counts: Vec<_> = counts.iter().map(|(kind, n)| format!("{n} {kind}")).collect();
        writeln!(f, "{} events: {}", all.len(), counts.join(", "))?;
        let shown = match self.show {
            Show::Last(n) if n < all.len() => {
                writeln!(f, "the last {n} ({EVENTS_VAR}=all prints every one):")?;
                &all[all.len() - n..]
            }
            _ => all,
        };
        for recorded in shown {
            writeln!(f, "  {recorded}")?;
        }
        Ok(())
    }
}

/// The name of the event's `EventKind` variant: `Panicked`,
/// `Restarting`... (the start of its `Debug` form, so that kinds added to
/// phyx later are named too).
fn kind(recorded: &Recorded) -> String {
    let debug = format!("{:?}", recorded.event.kind);
    let end = debug.find(|c: char| !c.is_alphanumeric()).unwrap_or(debug.len());
    debug[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TestSystem;
    use phyx::prelude::*;

    #[test]
    fn the_variable_says_how_many_events_to_show() {
        assert_eq!(Show::parse(None), Show::Last(DEFAULT_LAST));
        assert_eq!(Show::parse(Some("all")), Show::All);
        assert_eq!(Show::parse(Some(" ALL ")), Show::All);
        assert_eq!(Show::parse(Some("200")), Show::Last(200));
        assert_eq!(Show::parse(Some("lots")), Show::Last(DEFAULT_LAST));
    }

    struct Fragile;

    #[process(backoff(initial = "1s", max = "1s"), max_restarts = 1000, within = "1h")]
    impl Fragile {
        #[public]
        fn poke(&self) {
            panic!("ouch")
        }
    }

    /// A restart storm: 100 crashes, each restarted after a second.
    async fn storm() -> (TestSystem, Events) {
        let t = TestSystem::with_seed(11);
        let fragile = t.system().spawn(|| Fragile);
        for _ in 0..100 {
            fragile.poke().await.unwrap_err();
            t.advance(Duration::from_secs(1)).await;
        }
        let events = t.events();
        (t, events)
    }

    #[tokio::test]
    async fn a_failure_report_counts_kinds_and_lists_the_last_events() {
        let (t, events) = storm().await;
        let report = FailureReport {
            seed: t.seed(),
            elapsed: t.elapsed(),
            events: &events,
            show: Show::Last(3),
        }
        .to_string();
        let last: Vec<_> = events.all()[events.len() - 3..]
            .iter()
            .map(|r| format!("  {r}"))
            .collect();
        let expected = format!(
            "phyx-testkit: seed 11 (replay with PHYX_SEED=11); at 100s of virtual time\n\
             {total} events: 101 Started, 100 Panicked, 100 Restarting, 1 Spawned\n\
             the last 3 (PHYX_EVENTS=all prints every one):\n\
             {last}\n",
            total = events.len(),
            last = last.join("\n"),
        );
        assert_eq!(report, expected);
        assert_eq!(events.len(), 302);
    }

    #[tokio::test]
    async fn every_event_is_listed_when_asked_or_when_few() {
        let (_t, events) = storm().await;
        let lines = |show| Summary { events: &events, show }.to_string().lines().count();
        assert_eq!(lines(Show::All), 1 + events.len(), "the counts, then every event");
        assert_eq!(lines(Show::Last(1000)), 1 + events.len());
        assert_eq!(lines(Show::Last(DEFAULT_LAST)), 2 + DEFAULT_LAST);
    }
}
