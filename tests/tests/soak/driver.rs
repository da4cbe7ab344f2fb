//! The driver: seeds, one scenario per seed on a runtime of its own,
//! replay of one seed, the report of a failure, and the figures printed at
//! the end.

use std::fmt;
use std::time::{Duration, Instant};

use crate::classes::Classes;
use crate::generate::generate;
use crate::program::Program;
use crate::rng::SplitMix64;
use crate::run::Run;

/// Scenarios per `cargo test` run (`PHYX_SOAK_SCENARIOS` overrides), split
/// between the two default tests.
pub(crate) const SCENARIOS: u64 = 4000;

/// Totals, for the figures printed at the end.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Stats {
    pub(crate) ops: u64,
    pub(crate) tasks: u64,
    pub(crate) tells: u64,
    pub(crate) events: u64,
    pub(crate) restarts: u64,
    pub(crate) panics: u64,
    pub(crate) dropped: u64,
    pub(crate) rejected: u64,
    pub(crate) virtual_time: Duration,
}

impl Stats {
    fn add(&mut self, other: &Self) {
        self.ops += other.ops;
        self.tasks += other.tasks;
        self.tells += other.tells;
        self.events += other.events;
        self.restarts += other.restarts;
        self.panics += other.panics;
        self.dropped += other.dropped;
        self.rejected += other.rejected;
        self.virtual_time += other.virtual_time;
    }
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ops, {} tasks, {} tells accepted, {} events ({} restarts, {} panics, {} dropped, {} rejected), {:.0?} of virtual time",
            self.ops,
            self.tasks,
            self.tells,
            self.events,
            self.restarts,
            self.panics,
            self.dropped,
            self.rejected,
            self.virtual_time
        )
    }
}

async fn execute(program: &Program) -> (Vec<String>, Stats, String) {
    let mut run = Run::new(program);
    for (index, op) in program.ops.iter().enumerate() {
        run.run_op(index, op).await;
    }
    run.finish().await
}

struct Scenario {
    program: Program,
    violations: Vec<String>,
    stats: Stats,
    trace: String,
}

fn scenario(seed: u64, classes: Classes) -> Scenario {
    let program = generate(seed, classes);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime");
    let (violations, stats, trace) = runtime.block_on(execute(&program));
    drop(runtime);
    Scenario {
        program,
        violations,
        stats,
        trace,
    }
}

fn report(test: &str, scenario: &Scenario) -> String {
    let program = &scenario.program;
    let mut text = format!(
        "soak scenario failed: seed {seed}; replay with PHYX_SOAK_SEED={seed} PHYX_SOAK_CLASSES={classes} \
         cargo test -p phyx-tests --test soak -- --include-ignored --exact {test}\n",
        seed = program.seed,
        classes = program.classes,
    );
    for violation in &scenario.violations {
        text.push_str(&format!("  - {violation}\n"));
    }
    text.push_str(&program.to_string());
    text
}

fn env_u64(name: &str) -> Option<u64> {
    let value = std::env::var(name).ok()?;
    Some(
        value
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={value:?} is not a number")),
    )
}

/// Runs the soak with `classes` (unless `PHYX_SOAK_CLASSES` says
/// otherwise), `scenarios` times (unless `PHYX_SOAK_SCENARIOS` does).
pub(crate) fn soak(test: &str, classes: Classes, scenarios: u64) {
    // Deliberate panics, thousands of them: caught by phyx, kept off stderr.
    phyx::hide_caught_panics();
    let classes = Classes::from_env(classes);
    if let Some(seed) = env_u64("PHYX_SOAK_SEED") {
        let scenario = scenario(seed, classes);
        eprintln!("{}events:\n{}", scenario.program, scenario.trace);
        assert!(scenario.violations.is_empty(), "{}", report(test, &scenario));
        return;
    }
    let scenarios = env_u64("PHYX_SOAK_SCENARIOS").unwrap_or(scenarios);
    let keep_going = std::env::var_os("PHYX_SOAK_KEEP_GOING").is_some();
    // One base seed per test, so that each test covers other programs.
    let base = test
        .bytes()
        .fold(0x50A4_u64, |hash, byte| SplitMix64(hash ^ u64::from(byte)).next_u64());
    let started = Instant::now();
    let mut totals = Stats::default();
    let mut failures = Vec::new();
    let mut ran = 0;
    for i in 0..scenarios {
        let seed = SplitMix64(base.wrapping_add(i)).next_u64();
        let scenario = scenario(seed, classes);
        totals.add(&scenario.stats);
        ran += 1;
        if !scenario.violations.is_empty() {
            failures.push(scenario);
            if !keep_going {
                break;
            }
        }
    }
    let elapsed = started.elapsed();
    eprintln!(
        "{test}: {ran} scenarios (classes: {classes}) in {elapsed:.2?}: {:.0} scenarios/s; {totals}",
        ran as f64 / elapsed.as_secs_f64()
    );
    if let Some(first) = failures.first() {
        let mut summary = format!("{} of {ran} scenarios failed:\n", failures.len());
        for failure in &failures {
            summary.push_str(&format!(
                "  seed {}: {}\n",
                failure.program.seed,
                failure.violations.first().map_or("", String::as_str)
            ));
        }
        panic!("{summary}\nthe first:\n{}", report(test, first));
    }
}
