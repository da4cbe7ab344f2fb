//! Runs every scenario for every system in one process and prints the
//! README's tables as markdown: each system's figure and its ratio to the
//! tokio baseline of the same mailbox kind, and allocations per tell and
//! per ask.
//!
//! `cargo run --release -p phyx-benches --bin ratios`
//!
//! Each figure is the best of `PHYX_BENCH_RUNS` runs (default 3): on a
//! shared machine, interference only ever slows a run down.
//! `PHYX_BENCH_QUICK=1` shrinks the scenarios for a smoke run;
//! `PHYX_BENCH_ONLY=phyx,tokio` limits the systems (the baselines always
//! run); `remote` in that list names the remote tables, `durable` the
//! durable ones, `journal-jetstream` the JetStream journal store's,
//! `trace` the traced-tell table (`#[trace]` against no attribute, without
//! and with a subscriber).
//!
//! With the `cluster` feature (on by default) it then starts a nats-server
//! and prints the remote tables: asks and tells from one node to a counter
//! on another, phyx against async-nats alone. Those figures are the median
//! of `PHYX_BENCH_RUNS` runs, phyx's and async-nats's interleaved, with
//! their spread (the lowest and highest run), and the ratio the median of
//! each pair of runs' ratios. Without a nats-server (on `PATH`, or named
//! by `PHYX_NATS_SERVER`), the remote tables say they were skipped.
//!
//! With the `journal` feature (on by default) it then prints the
//! journal-file table (`journal-file` in `PHYX_BENCH_ONLY`): appends
//! through `FileJournal` against plain writes (and syncs) of the same
//! bytes to the same disk, both durabilities.
//!
//! With the `isolated` feature (on by default) it then prints the isolated
//! tables (`isolated` in `PHYX_BENCH_ONLY`): asks and restarts of a
//! counter in a child OS process, which is this program again (hence the
//! `serve_if_child` first in `main`), against the same counter local.
//!
//! What the feature costs local calls: build it twice and run both,
//!
//! ```sh
//! cargo build --release -p phyx-benches --bins --no-default-features
//! cp target/release/ratios target/release/profile /tmp/    # phyx without `cluster`
//! cargo build --release -p phyx-benches --bins
//! PHYX_BENCH_ONLY=phyx /tmp/ratios; PHYX_BENCH_ONLY=phyx target/release/ratios
//! ```

use std::fmt::Write as _;
use std::time::Duration;

use phyx::Overflow;
use phyx_benches::actix_counter::Actix;
use phyx_benches::kameo_counter::Kameo;
use phyx_benches::phyx_counter::Phyx;
use phyx_benches::phyx_only::{self, Guard, PoolTarget};
use phyx_benches::ractor_counter::Ractor;
use phyx_benches::tokio_baseline::Tokio;
use phyx_benches::{Flavor, Latencies, MailboxKind, Run, Sizes, SpawnCost, Subject, per};

/// One system's results on one flavor.
struct Results {
    name: &'static str,
    mailbox: MailboxKind,
    tell: Run,
    ask: Latencies,
    spawn: SpawnCost,
    fan_in: Run,
    ring: Run,
}

fn runs() -> usize {
    std::env::var("PHYX_BENCH_RUNS")
        .ok()
        .and_then(|runs| runs.parse().ok())
        .unwrap_or(3)
        .max(1)
}

/// The fastest of `runs` runs.
fn best_run(runs: usize, mut measure: impl FnMut() -> Run) -> Run {
    (0..runs)
        .map(|_| measure())
        .min_by_key(|run| run.elapsed)
        .expect("at least one run")
}

fn best_latencies(runs: usize, mut measure: impl FnMut() -> Latencies) -> Latencies {
    (0..runs)
        .map(|_| measure())
        .min_by_key(Latencies::mean)
        .expect("at least one run")
}

fn best_spawn(runs: usize, mut measure: impl FnMut() -> SpawnCost) -> SpawnCost {
    (0..runs)
        .map(|_| measure())
        .min_by_key(|cost| cost.spawn.elapsed)
        .expect("at least one run")
}

fn measure<S: Subject>(flavor: Flavor, sizes: Sizes) -> Results {
    let runs = runs();
    eprintln!("  {} ...", S::NAME);
    Results {
        name: S::NAME,
        mailbox: S::MAILBOX,
        tell: best_run(runs, || S::tell(flavor, sizes.tells)),
        ask: best_latencies(runs, || S::ask(flavor, sizes.asks)),
        spawn: best_spawn(runs, || S::spawn(flavor, sizes.spawns)),
        fan_in: best_run(runs, || S::fan_in(flavor, sizes.senders, sizes.tells)),
        ring: best_run(runs, || S::ring(flavor, sizes.ring_size, sizes.ring_hops)),
    }
}

/// Whether `PHYX_BENCH_ONLY` names `name` (or is not set).
fn named(name: &str) -> bool {
    match std::env::var("PHYX_BENCH_ONLY") {
        Ok(only) => only.split(',').any(|wanted| name.starts_with(wanted.trim())),
        Err(_) => true,
    }
}

/// Whether system `name` runs in the local tables.
fn wanted(name: &str) -> bool {
    name.starts_with("tokio") || named(name)
}

/// Whether the local tables run: some local system is named.
fn local_wanted() -> bool {
    [Phyx::NAME, Kameo::NAME, Ractor::NAME, Actix::NAME, "tokio"]
        .into_iter()
        .any(named)
}

fn rate(count: u64, elapsed: Duration) -> f64 {
    per(count, 1) / elapsed.as_secs_f64() / 1e6
}

/// The median of some figures, and the lowest and highest.
#[cfg(any(feature = "journal", feature = "isolated"))]
fn spread(mut figures: Vec<f64>, decimals: usize) -> String {
    figures.sort_by(f64::total_cmp);
    let (median, low, high) = (figures[figures.len() / 2], figures[0], figures[figures.len() - 1]);
    format!("{median:.decimals$} ({low:.decimals$}–{high:.decimals$})")
}

/// The median of some figures.
#[cfg(feature = "journal")]
fn median(mut figures: Vec<f64>) -> f64 {
    figures.sort_by(f64::total_cmp);
    figures[figures.len() / 2]
}

fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}

/// A figure and its ratio to the baseline's.
fn ratio(value: f64, baseline: f64, unit: &str) -> String {
    let unit = if unit.is_empty() {
        String::new()
    } else {
        format!(" {unit}")
    };
    format!("{value:.2}{unit} ({:.2}x)", value / baseline)
}

fn flavor_table(flavor: Flavor, sizes: Sizes, results: &[Results]) -> String {
    let baseline = |kind: MailboxKind| {
        results
            .iter()
            .find(|r| r.name.starts_with("tokio") && r.mailbox == kind)
            .expect("both baselines run")
    };
    let mut out = String::new();
    let _ = writeln!(out, "#### {}\n", flavor.label());
    let _ = write!(out, "| scenario |");
    for r in results {
        let _ = write!(out, " {} |", r.name);
    }
    let _ = write!(out, "\n| --- |");
    for _ in results {
        let _ = write!(out, " --- |");
    }
    out.push('\n');
    let mut row = |label: &str, cell: &dyn Fn(&Results, &Results) -> String| {
        let _ = write!(out, "| {label} |");
        for r in results {
            let _ = write!(out, " {} |", cell(r, baseline(r.mailbox)));
        }
        out.push('\n');
    };
    row("tell: M msg/s", &|r, b| {
        ratio(rate(sizes.tells, r.tell.elapsed), rate(sizes.tells, b.tell.elapsed), "")
    });
    row("ask: mean µs", &|r, b| {
        ratio(micros(r.ask.mean()), micros(b.ask.mean()), "")
    });
    row("ask: p50 / p99 µs", &|r, _| {
        format!(
            "{:.1} / {:.1}",
            micros(r.ask.quantile(0.5)),
            micros(r.ask.quantile(0.99))
        )
    });
    row("spawn: µs each", &|r, b| {
        ratio(micros(r.spawn.per_spawn()), micros(b.spawn.per_spawn()), "")
    });
    row("idle process: bytes", &|r, b| {
        format!("{} (+{})", r.spawn.idle_bytes, r.spawn.idle_bytes - b.spawn.idle_bytes)
    });
    row("fan-in 8→1: M msg/s", &|r, b| {
        ratio(
            rate(sizes.tells, r.fan_in.elapsed),
            rate(sizes.tells, b.fan_in.elapsed),
            "",
        )
    });
    row("ring: M hops/s", &|r, b| {
        ratio(
            rate(sizes.ring_hops, r.ring.elapsed),
            rate(sizes.ring_hops, b.ring.elapsed),
            "",
        )
    });
    row("allocations / tell", &|r, _| {
        format!("{:.3}", per(r.tell.allocations, sizes.tells))
    });
    row("allocations / ask", &|r, _| {
        format!("{:.3}", r.ask.allocations_per_ask())
    });
    row("allocations / fan-in tell", &|r, _| {
        format!("{:.3}", per(r.fan_in.allocations, sizes.tells))
    });
    row("allocations / ring hop", &|r, _| {
        format!("{:.3}", per(r.ring.allocations, sizes.ring_hops))
    });
    out
}

fn phyx_table(flavor: Flavor, sizes: Sizes, results: &[Results]) -> String {
    let runs = runs();
    let bounded = results
        .iter()
        .find(|r| r.name.starts_with("tokio") && r.mailbox == MailboxKind::Bounded)
        .expect("the bounded baseline runs");
    let baseline_rate = rate(sizes.tells, bounded.tell.elapsed);
    let mut out = String::new();
    let _ = writeln!(out, "#### phyx alone, {}\n", flavor.label());
    let _ = writeln!(out, "| scenario | figure | against | allocations / tell |");
    let _ = writeln!(out, "| --- | --- | --- | --- |");
    for (label, policy) in [
        ("tell, backpressure (send_wait)", Overflow::Backpressure),
        ("tell, reject (send, yield when full)", Overflow::Reject),
        ("tell, drop-oldest (send)", Overflow::DropOldest),
    ] {
        let run = best_run(runs, || phyx_only::overflow(flavor, policy, sizes.tells));
        let _ = writeln!(
            out,
            "| {label} | {} | tokio mpsc(1024) | {:.3} |",
            ratio(rate(sizes.tells, run.elapsed), baseline_rate, "M msg/s"),
            per(run.allocations, sizes.tells)
        );
    }
    let mut unguarded = None;
    for guard in Guard::ALL {
        let run = best_run(runs, || phyx_only::guarded(flavor, guard, sizes.tells));
        let base = *unguarded.get_or_insert(run.elapsed);
        let added = (run.elapsed.as_secs_f64() / base.as_secs_f64() - 1.0) * 100.0;
        let _ = writeln!(
            out,
            "| {} | {:.2} M msg/s ({added:+.1}%) | no attribute | {:.3} |",
            guard.label(),
            rate(sizes.tells, run.elapsed),
            per(run.allocations, sizes.tells)
        );
    }
    let mut direct = None;
    for target in PoolTarget::ALL {
        let ask = best_latencies(runs, || phyx_only::pool_ask(flavor, target, sizes.asks));
        let base = *direct.get_or_insert(ask.mean());
        let _ = writeln!(
            out,
            "| {} | mean {:.2} µs ({:.2}x), p50 {:.2}, p99 {:.2} | one process | {:.1} per ask |",
            target.label(),
            micros(ask.mean()),
            ask.mean().as_secs_f64() / base.as_secs_f64(),
            micros(ask.quantile(0.5)),
            micros(ask.quantile(0.99)),
            ask.allocations_per_ask()
        );
    }
    let restart = best_latencies(runs, || phyx_only::restart(flavor, sizes.restarts));
    let _ = writeln!(
        out,
        "| restart: panic to next reply | mean {:.1} µs, p50 {:.1}, p99 {:.1} | | {:.1} per restart |",
        micros(restart.mean()),
        micros(restart.quantile(0.5)),
        micros(restart.quantile(0.99)),
        restart.allocations_per_ask()
    );
    out
}

/// The traced-tell table (`trace` in `PHYX_BENCH_ONLY`): tells of a
/// `#[trace]` method against the same method untraced, without and with a
/// subscriber, on the current-thread runtime; the cases interleaved, each
/// the best of its runs.
fn trace_table(sizes: Sizes) {
    use phyx_benches::traced::{Case, tells};

    let runs = runs();
    let mut best: Vec<Option<Run>> = vec![None; Case::ALL.len()];
    for run in 1..=runs {
        eprintln!("  trace, run {run} of {runs} ...");
        for (slot, case) in best.iter_mut().zip(Case::ALL) {
            let measured = tells(case, sizes.tells);
            if slot.as_ref().is_none_or(|kept| measured.elapsed < kept.elapsed) {
                *slot = Some(measured);
            }
        }
    }
    let best: Vec<Run> = best.into_iter().map(|run| run.expect("at least one run")).collect();
    let mut out = String::new();
    let _ = writeln!(out, "#### phyx, traced tells, current-thread\n");
    let _ = writeln!(out, "| scenario | figure | against | allocations / tell |");
    let _ = writeln!(out, "| --- | --- | --- | --- |");
    for (case, run) in Case::ALL.iter().zip(&best) {
        // Against the untraced tell under the same subscriber (or none).
        let baseline = case.baseline();
        let untraced = Case::ALL
            .iter()
            .zip(&best)
            .find_map(|(other, run)| (*other == baseline).then_some(run))
            .expect("every baseline runs");
        let _ = writeln!(
            out,
            "| {} | {:.2} M msg/s ({:.2}x the time) | {} | {:.3} |",
            case.label(),
            rate(sizes.tells, run.elapsed),
            run.elapsed.as_secs_f64() / untraced.elapsed.as_secs_f64(),
            baseline.label(),
            per(run.allocations, sizes.tells)
        );
    }
    println!("{out}");
}

/// A nats-server for the `what` tables, or `None` after saying, on both
/// outputs, that they were skipped and how to enable them.
#[cfg(feature = "cluster")]
fn nats_server_or_skip(what: &str) -> Option<phyx_benches::nats_server::NatsServer> {
    use phyx_benches::nats_server::{INSTALL, NatsServer, SERVER_VAR};
    NatsServer::start()
        .inspect_err(|why| {
            let skipped = format!(
                "{what} benchmarks SKIPPED: no nats-server ({why}). Install one with `{INSTALL}`, \
                 or name it with {SERVER_VAR}=/path/to/nats-server."
            );
            eprintln!("{skipped}");
            println!("{skipped}\n");
        })
        .ok()
}

fn main() {
    // As the child OS process of the isolated tables, this program serves
    // their counter and never returns.
    #[cfg(feature = "isolated")]
    phyx_benches::isolated::serve_if_child();
    let sizes = Sizes::from_env();
    eprintln!("sizes: {sizes:?}, best of {} runs", runs());
    if local_wanted() {
        local(sizes);
    }
    if named("decorators") {
        decorators::table(sizes, runs());
    }
    if named("trace") {
        trace_table(sizes);
    }
    #[cfg(feature = "cluster")]
    if named("remote") {
        remote::tables(sizes, runs());
    }
    #[cfg(feature = "cluster")]
    if named("durable") {
        remote::durable_tables(sizes, runs());
    }
    #[cfg(feature = "journal")]
    if named("journal-file") {
        journal_file::table(sizes, runs());
    }
    #[cfg(feature = "journal")]
    if named("journal") {
        journal_process::tables(sizes, runs());
    }
    #[cfg(all(feature = "journal", feature = "cluster"))]
    if named("journal-jetstream") {
        remote::journal_tables(sizes, runs());
    }
    #[cfg(feature = "isolated")]
    if named("isolated") {
        isolated::tables(sizes, runs());
    }
}

/// The decorators table: a `#[cache]` hit against a hand-written cache and
/// against the ask it saves, on both runtimes.
mod decorators {
    use std::fmt::Write as _;

    use phyx_benches::decorators::Scenario;
    use phyx_benches::{Flavor, Sizes};

    use super::{median, spread};

    /// Prints the table: `runs` runs of each scenario, interleaved.
    pub(super) fn table(sizes: Sizes, runs: usize) {
        let n = sizes.asks;
        let mut out = String::new();
        for flavor in [Flavor::CurrentThread, Flavor::MultiThread] {
            let mut nanos = vec![Vec::new(); Scenario::ALL.len()];
            let mut allocations = vec![0.0; Scenario::ALL.len()];
            for run in 1..=runs {
                eprintln!("  decorators, {}, run {run} of {runs} ...", flavor.label());
                for (index, scenario) in Scenario::ALL.into_iter().enumerate() {
                    let measured = scenario.run(flavor, n);
                    nanos[index].push(measured.elapsed.as_secs_f64() * 1e9 / n as f64);
                    allocations[index] = measured.allocations as f64 / n as f64;
                }
            }
            let medians: Vec<f64> = nanos.iter().map(|figures| median(figures.clone())).collect();
            let (nothing, lookup) = (medians[0], medians[1]);
            let _ = writeln!(out, "#### decorators, {}\n", flavor.label());
            let _ = writeln!(
                out,
                "| scenario | ns per call | above nothing, ns | allocations per call |"
            );
            let _ = writeln!(out, "| --- | --- | --- | --- |");
            for (index, scenario) in Scenario::ALL.into_iter().enumerate() {
                let _ = writeln!(
                    out,
                    "| {} | {} | {:.1} | {:.2} |",
                    scenario.label(),
                    spread(nanos[index].clone(), 1),
                    medians[index] - nothing,
                    allocations[index]
                );
            }
            let _ = writeln!(
                out,
                "\nA hit costs {:.2}x the hand-written lookup above nothing, and saves {:.1}x of the ask.\n",
                (medians[2] - nothing) / (lookup - nothing),
                medians[3] / medians[2]
            );
        }
        println!(
            "Decorators: {n} sequential asks of a `#[cache]`d method cycling over 64 cached keys (`u64` in, \
             `u64` out), against a `Mutex<HashMap>` lookup of the same keys by hand and against the same ask \
             uncached. Median of {runs} runs (lowest–highest), interleaved.\n"
        );
        println!("{out}");
    }
}

/// The journal-file table (feature `journal`): `FileJournal`'s appends
/// against the disk's raw speed.
#[cfg(feature = "journal")]
mod journal_file {
    use std::fmt::Write as _;

    use phyx::journal::Durability;
    use phyx_benches::Sizes;
    use phyx_benches::file_journal::{Appends, EVENT, file_journal, raw};

    use super::{micros, spread};

    fn rates(runs: &[Appends]) -> Vec<f64> {
        runs.iter().map(Appends::per_second).collect()
    }

    fn p99s(runs: &[Appends]) -> Vec<f64> {
        runs.iter().map(|run| micros(run.latencies.quantile(0.99))).collect()
    }

    /// Prints the table: each durability, `runs` runs of each, the
    /// journal's and the raw loop's interleaved.
    pub(super) fn table(sizes: Sizes, runs: usize) {
        let mut out = String::new();
        let _ = writeln!(out, "#### journal-file, store level\n");
        let _ = writeln!(
            out,
            "| durability | appends | FileJournal: appends/s | raw: appends/s | FileJournal / raw | \
             FileJournal: p99 µs | raw: p99 µs |"
        );
        let _ = writeln!(out, "| --- | --- | --- | --- | --- | --- | --- |");
        for (durability, n, label) in [
            (
                Durability::Fsync,
                sizes.journal_synced,
                "Fsync (raw: write_all + sync_data)",
            ),
            (
                Durability::Buffered,
                sizes.journal_buffered,
                "Buffered (raw: write_all)",
            ),
        ] {
            let (mut journal, mut plain) = (Vec::new(), Vec::new());
            for run in 1..=runs {
                eprintln!("  journal-file, {durability:?}, run {run} of {runs} ...");
                journal.push(file_journal(durability, n));
                plain.push(raw(durability, n));
            }
            let ratios = rates(&journal).iter().zip(rates(&plain)).map(|(j, r)| j / r).collect();
            let _ = writeln!(
                out,
                "| {label} | {n} | {} | {} | {}x | {} | {} |",
                spread(rates(&journal), 0),
                spread(rates(&plain), 0),
                spread(ratios, 2),
                spread(p99s(&journal), 1),
                spread(p99s(&plain), 1),
            );
        }
        println!(
            "Journal-file: one writer appends one {EVENT}-byte event at a time, each awaited before the next, \
             through FileJournal's `Journal::append` (current-thread runtime), against a loop on this thread \
             that writes the same framed bytes to a plain file (and syncs each), in `{}`. Median of {runs} runs \
             (lowest–highest), interleaved; the ratio is the median of each pair of runs' ratios.\n",
            std::env::temp_dir().display()
        );
        println!("{out}");
    }
}

/// The journal tables (feature `journal`): events persisted through an
/// event-sourced process against its store's own appends, and replays.
#[cfg(feature = "journal")]
mod journal_process {
    use std::fmt::Write as _;

    use phyx::journal::{Durability, FileJournal, Journal, MemoryJournal};
    use phyx_benches::file_journal::Scratch;
    use phyx_benches::journal::{Persisted, persist, replay};
    use phyx_benches::{Flavor, Latencies, Sizes};

    use super::{median, micros};

    /// Round trips per second, one after another.
    pub(super) fn rate(latencies: &[std::time::Duration]) -> f64 {
        latencies.len() as f64 / latencies.iter().sum::<std::time::Duration>().as_secs_f64()
    }

    pub(super) fn p99(latencies: &[std::time::Duration]) -> f64 {
        micros(Latencies::new(latencies.to_vec(), 0).quantile(0.99))
    }

    /// `runs` runs of `n` persists on the store `open` makes.
    fn persisted<J: Journal + Clone>(open: impl Fn(&Scratch) -> J, n: usize, runs: usize) -> Vec<Persisted> {
        (1..=runs)
            .map(|run| {
                let scratch = Scratch::new("persist");
                let store = open(&scratch);
                Flavor::CurrentThread.runtime().block_on(persist(store, n, run))
            })
            .collect()
    }

    fn file(durability: Durability) -> impl Fn(&Scratch) -> FileJournal {
        move |scratch| {
            FileJournal::open(&scratch.0)
                .expect("a journal directory")
                .durability(durability)
        }
    }

    pub(super) fn tables(sizes: Sizes, runs: usize) {
        let mut out = String::new();
        let _ = writeln!(out, "#### journal, persisted through a process\n");
        let _ = writeln!(
            out,
            "| store | events | phyx: persisted/s | store alone: appends/s | phyx / store | phyx: p99 µs | store: p99 µs |"
        );
        let _ = writeln!(out, "| --- | --- | --- | --- | --- | --- | --- |");
        let stores: [(&str, usize, Vec<Persisted>); 3] = [
            (
                "FileJournal, Fsync",
                sizes.persisted_synced,
                persisted(file(Durability::Fsync), sizes.persisted_synced, runs),
            ),
            (
                "FileJournal, Buffered",
                sizes.persisted_buffered,
                persisted(file(Durability::Buffered), sizes.persisted_buffered, runs),
            ),
            (
                "MemoryJournal",
                sizes.persisted_buffered,
                persisted(|_| MemoryJournal::new(), sizes.persisted_buffered, runs),
            ),
        ];
        for (label, n, runs) in stores {
            let phyx: Vec<f64> = runs.iter().map(|run| rate(&run.phyx)).collect();
            let raw: Vec<f64> = runs.iter().map(|run| rate(&run.raw)).collect();
            let ratios = phyx.iter().zip(&raw).map(|(phyx, raw)| phyx / raw).collect();
            let _ = writeln!(
                out,
                "| {label} | {n} | {:.0} | {:.0} | {:.2}x | {:.1} | {:.1} |",
                median(phyx),
                median(raw),
                median(ratios),
                median(runs.iter().map(|run| p99(&run.phyx)).collect()),
                median(runs.iter().map(|run| p99(&run.raw)).collect()),
            );
        }
        let _ = writeln!(out, "\n#### journal, replayed at a start\n");
        let _ = writeln!(out, "| store | journal | replayed | start to first reply | events/s |");
        let _ = writeln!(out, "| --- | --- | --- | --- | --- |");
        for snapshot in [false, true] {
            for (label, buffered) in [("FileJournal", true), ("MemoryJournal", false)] {
                let mut times = Vec::new();
                let mut replayed = 0;
                for run in 1..=runs {
                    eprintln!("  journal, replay ({label}, snapshot {snapshot}), run {run} of {runs} ...");
                    let scratch = Scratch::new("replay");
                    let runtime = Flavor::CurrentThread.runtime();
                    let (elapsed, events) = if buffered {
                        let store = file(Durability::Buffered)(&scratch);
                        runtime.block_on(replay(store, sizes.replayed, snapshot, run))
                    } else {
                        runtime.block_on(replay(MemoryJournal::new(), sizes.replayed, snapshot, run))
                    };
                    times.push(elapsed.as_secs_f64());
                    replayed = events;
                }
                let time = median(times);
                let from = if snapshot {
                    "a snapshot, then"
                } else {
                    "the first event:"
                };
                let _ = writeln!(
                    out,
                    "| {label} | {} events | {from} {replayed} | {:.1} ms | {:.0} |",
                    sizes.replayed,
                    time * 1e3,
                    replayed as f64 / time
                );
            }
        }
        println!(
            "Journal: an event-sourced process (`Ledger`) persists one 64-byte event per ask, `ledger.record(..).await`, \
             each awaited before the next, against `Journal::append` of the same encoded event on the same store, \
             interleaved in blocks of 100 (current-thread runtime). Replays: a new process's first ask answered after \
             it rebuilt its state. Median of {runs} runs.\n"
        );
        println!("{out}");
    }
}

fn local(sizes: Sizes) {
    let mut tables = Vec::new();
    for flavor in Flavor::ALL {
        eprintln!("{}:", flavor.label());
        let mut results = vec![
            measure::<Tokio<true>>(flavor, sizes),
            measure::<Tokio<false>>(flavor, sizes),
        ];
        if wanted(Phyx::NAME) {
            results.push(measure::<Phyx>(flavor, sizes));
        }
        if wanted(Kameo::NAME) {
            results.push(measure::<Kameo>(flavor, sizes));
        }
        if wanted(Ractor::NAME) {
            results.push(measure::<Ractor>(flavor, sizes));
        }
        if wanted(Actix::NAME) {
            results.push(measure::<Actix>(flavor, sizes));
        }
        tables.push(flavor_table(flavor, sizes, &results));
        if wanted(Phyx::NAME) {
            tables.push(phyx_table(flavor, sizes, &results));
        }
    }
    println!(
        "Sizes: {} tells, {} asks, {} spawns, {} senders, ring of {} x {} hops. \
         Ratios are to the tokio baseline of the same mailbox kind \
         (bounded: phyx, kameo; unbounded: ractor, actix).\n",
        sizes.tells, sizes.asks, sizes.spawns, sizes.senders, sizes.ring_size, sizes.ring_hops
    );
    for table in tables {
        println!("{table}");
    }
}

/// The remote tables (feature `cluster`).
#[cfg(feature = "cluster")]
mod remote {
    use std::fmt::Write as _;

    use phyx_benches::remote::{LOST_ASK, PhyxRemote, RawNats, RemoteSubject, Tells};
    use phyx_benches::{Flavor, Latencies, Sizes, per};

    use super::{micros, rate};

    /// The median of some figures, and their spread.
    #[derive(Clone, Copy)]
    struct Spread {
        median: f64,
        min: f64,
        max: f64,
    }

    impl Spread {
        fn of(mut figures: Vec<f64>) -> Spread {
            figures.sort_by(f64::total_cmp);
            Spread {
                median: figures[figures.len() / 2],
                min: figures[0],
                max: figures[figures.len() - 1],
            }
        }

        fn show(self, decimals: usize) -> String {
            format!(
                "{:.decimals$} ({:.decimals$}–{:.decimals$})",
                self.median, self.min, self.max
            )
        }
    }

    /// Every run of one system on one flavor.
    struct Runs {
        asks: Vec<Latencies>,
        tells: Vec<Tells>,
    }

    impl Runs {
        fn ask_mean(&self) -> Vec<f64> {
            self.asks.iter().map(|ask| micros(ask.mean())).collect()
        }

        fn tell_rate(&self) -> Vec<f64> {
            self.tells
                .iter()
                .map(|tells| rate(tells.delivered, tells.run.elapsed) * 1e3)
                .collect()
        }

        /// The run of median mean latency, for its quantiles.
        fn median_ask(&self) -> &Latencies {
            let mut asks: Vec<&Latencies> = self.asks.iter().collect();
            asks.sort_by_key(|ask| ask.mean());
            asks[asks.len() / 2]
        }
    }

    fn ratios(phyx: &[f64], raw: &[f64]) -> Spread {
        Spread::of(phyx.iter().zip(raw).map(|(phyx, raw)| phyx / raw).collect())
    }

    fn measure(flavor: Flavor, url: &str, sizes: Sizes, runs: usize) -> (Runs, Runs) {
        let mut raw = Runs {
            asks: Vec::new(),
            tells: Vec::new(),
        };
        let mut phyx = Runs {
            asks: Vec::new(),
            tells: Vec::new(),
        };
        for run in 1..=runs {
            eprintln!("  remote, run {run} of {runs} ...");
            raw.asks.push(RawNats::ask(flavor, url, sizes.remote_asks));
            phyx.asks.push(PhyxRemote::ask(flavor, url, sizes.remote_asks));
            raw.tells.push(RawNats::tell(flavor, url, sizes.remote_tells));
            phyx.tells.push(PhyxRemote::tell(flavor, url, sizes.remote_tells));
        }
        (raw, phyx)
    }

    fn table(flavor: Flavor, sizes: Sizes, raw: &Runs, phyx: &Runs) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "#### remote, {}\n", flavor.label());
        let _ = writeln!(
            out,
            "| scenario | {} | {} | {} / {} |",
            RawNats::NAME,
            PhyxRemote::NAME,
            PhyxRemote::NAME,
            RawNats::NAME
        );
        let _ = writeln!(out, "| --- | --- | --- | --- |");
        let _ = writeln!(
            out,
            "| ask: mean µs per round trip | {} | {} | {}x |",
            Spread::of(raw.ask_mean()).show(1),
            Spread::of(phyx.ask_mean()).show(1),
            ratios(&phyx.ask_mean(), &raw.ask_mean()).show(2)
        );
        let quantiles = |runs: &Runs| {
            let ask = runs.median_ask();
            format!("{:.1} / {:.1}", micros(ask.quantile(0.5)), micros(ask.quantile(0.99)))
        };
        let _ = writeln!(
            out,
            "| ask: p50 / p99 µs (median run) | {} | {} | |",
            quantiles(raw),
            quantiles(phyx)
        );
        let _ = writeln!(
            out,
            "| tell: k msg/s | {} | {} | {}x |",
            Spread::of(raw.tell_rate()).show(0),
            Spread::of(phyx.tell_rate()).show(0),
            ratios(&phyx.tell_rate(), &raw.tell_rate()).show(2)
        );
        let per_ask = |runs: &Runs| Spread::of(runs.asks.iter().map(Latencies::allocations_per_ask).collect());
        let per_tell = |runs: &Runs| {
            Spread::of(
                runs.tells
                    .iter()
                    .map(|tells| per(tells.run.allocations, sizes.remote_tells))
                    .collect(),
            )
        };
        let _ = writeln!(
            out,
            "| allocations / ask (both sides) | {} | {} | |",
            per_ask(raw).show(2),
            per_ask(phyx).show(2)
        );
        let _ = writeln!(
            out,
            "| allocations / tell (both sides) | {} | {} | |",
            per_tell(raw).show(2),
            per_tell(phyx).show(2)
        );
        let lost = |runs: &Runs| {
            runs.tells
                .iter()
                .map(|tells| {
                    let lost = sizes.remote_tells - tells.delivered.min(sizes.remote_tells);
                    match tells.lost_asks {
                        0 => lost.to_string(),
                        asks => format!("{lost}, and the final ask {asks}x (+{:?} each)", LOST_ASK),
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(out, "| tells lost, per run | {} | {} | |", lost(raw), lost(phyx));
        let refused = phyx
            .tells
            .iter()
            .map(|tells| tells.refused.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(
            out,
            "| tells refused (queue full) and sent again, per run | | {refused} | |"
        );
        out
    }

    /// Starts a nats-server and prints the remote tables, or says why not.
    pub(super) fn tables(sizes: Sizes, runs: usize) {
        let Some(server) = crate::nats_server_or_skip("Remote") else {
            return;
        };
        eprintln!("remote, on {} at {}:", server.version, server.url());
        let mut tables = Vec::new();
        for flavor in Flavor::ALL {
            eprintln!("{}:", flavor.label());
            let (raw, phyx) = measure(flavor, &server.url(), sizes, runs);
            tables.push(table(flavor, sizes, &raw, &phyx));
        }
        println!(
            "Remote: {} sequential asks and {} tells (then one ask) from node `b` to a counter on node `a`, \
             both in this OS process with a connection each, through {} on loopback. \
             Median of {runs} runs (lowest–highest); the ratio is the median of each pair of runs' ratios.\n",
            sizes.remote_asks, sizes.remote_tells, server.version
        );
        for table in tables {
            println!("{table}");
        }
    }

    /// Starts a nats-server and prints the durable tables, or says why not.
    pub(super) fn durable_tables(sizes: Sizes, runs: usize) {
        use phyx_benches::durable::{Durable, DurableSubject, PhyxDurable, RawJetStream};
        let Some(server) = crate::nats_server_or_skip("Durable") else {
            return;
        };
        println!(
            "Durable: {} tells one after another, each back once the server stored it, then {} tells \
             as fast as they go until all were handled, from node `b` to a counter on node `a`, through {} \
             on loopback (file storage). Median of {runs} runs (lowest–highest).\n",
            sizes.durable_stored, sizes.durable_tells, server.version
        );
        for flavor in Flavor::ALL {
            eprintln!("{}:", flavor.label());
            let (mut raw, mut phyx): (Vec<Durable>, Vec<Durable>) = (Vec::new(), Vec::new());
            for run in 1..=runs {
                eprintln!("  durable, run {run} of {runs} ...");
                raw.push(RawJetStream::run(
                    flavor,
                    &server.url(),
                    sizes.durable_stored,
                    sizes.durable_tells,
                ));
                phyx.push(PhyxDurable::run(
                    flavor,
                    &server.url(),
                    sizes.durable_stored,
                    sizes.durable_tells,
                ));
            }
            let stored = |runs: &[Durable]| -> Vec<f64> {
                runs.iter()
                    .map(|run| micros(Latencies::new(run.stored.clone(), 0).mean()))
                    .collect()
            };
            let throughput = |runs: &[Durable]| -> Vec<f64> {
                runs.iter()
                    .map(|run| rate(sizes.durable_tells, run.throughput.elapsed) * 1e3)
                    .collect()
            };
            let allocations = |runs: &[Durable]| -> Vec<f64> {
                runs.iter()
                    .map(|run| per(run.throughput.allocations, sizes.durable_tells))
                    .collect()
            };
            let mut out = String::new();
            let _ = writeln!(out, "#### durable, {}\n", flavor.label());
            let _ = writeln!(out, "| scenario | async-nats | phyx | phyx / async-nats |");
            let _ = writeln!(out, "| --- | --- | --- | --- |");
            let _ = writeln!(
                out,
                "| stored: mean µs per tell | {} | {} | {}x |",
                Spread::of(stored(&raw)).show(1),
                Spread::of(stored(&phyx)).show(1),
                ratios(&stored(&phyx), &stored(&raw)).show(2)
            );
            let _ = writeln!(
                out,
                "| throughput: k msg/s | {} | {} | {}x |",
                Spread::of(throughput(&raw)).show(1),
                Spread::of(throughput(&phyx)).show(1),
                ratios(&throughput(&phyx), &throughput(&raw)).show(2)
            );
            let _ = writeln!(
                out,
                "| allocations / tell (both sides) | {} | {} | |",
                Spread::of(allocations(&raw)).show(2),
                Spread::of(allocations(&phyx)).show(2)
            );
            println!("{out}");
        }
    }

    /// Starts a nats-server and prints the JetStream journal table, or
    /// says why not.
    #[cfg(feature = "journal")]
    pub(super) fn journal_tables(sizes: Sizes, runs: usize) {
        use phyx_benches::jetstream_journal::{Raw, Written, phyx_appends, raw_appends, replay};
        let Some(server) = crate::nats_server_or_skip("Journal") else {
            return;
        };
        let flavor = Flavor::MultiThread;
        let (mut raw, mut phyx) = ([Vec::new(), Vec::new()], Vec::new());
        for run in 1..=runs {
            eprintln!("  journal appends, run {run} of {runs} ...");
            for (index, kind) in Raw::ALL.into_iter().enumerate() {
                raw[index].push(raw_appends(flavor, &server.url(), kind, sizes.journal_appends));
            }
            phyx.push(phyx_appends(flavor, &server.url(), sizes.journal_appends));
        }
        let per_second =
            |runs: &[Latencies]| -> Vec<f64> { runs.iter().map(|run| 1.0 / run.mean().as_secs_f64()).collect() };
        let median = |runs: &[Latencies]| -> Latencies {
            let mut sorted: Vec<&Latencies> = runs.iter().collect();
            sorted.sort_by_key(|run| run.mean());
            sorted[sorted.len() / 2].clone()
        };
        let quantiles = |runs: &[Latencies]| {
            let run = median(runs);
            format!("{:.1} / {:.1}", micros(run.quantile(0.5)), micros(run.quantile(0.99)))
        };
        let allocations = |runs: &[Latencies]| Spread::of(runs.iter().map(Latencies::allocations_per_ask).collect());
        let mut out = String::new();
        let _ = writeln!(out, "#### journal (JetStream), {}\n", flavor.label());
        let _ = writeln!(
            out,
            "| scenario | {} | {} | phyx | phyx / the bytes alone | phyx / the store's message |",
            Raw::Plain.label(),
            Raw::AsTheStore.label()
        );
        let _ = writeln!(out, "| --- | --- | --- | --- | --- | --- |");
        let _ = writeln!(
            out,
            "| append, one 64-byte event: appends/s | {} | {} | {} | {}x | {}x |",
            Spread::of(per_second(&raw[0])).show(0),
            Spread::of(per_second(&raw[1])).show(0),
            Spread::of(per_second(&phyx)).show(0),
            ratios(&per_second(&phyx), &per_second(&raw[0])).show(2),
            ratios(&per_second(&phyx), &per_second(&raw[1])).show(2)
        );
        let _ = writeln!(
            out,
            "| append: p50 / p99 µs (median run) | {} | {} | {} | | |",
            quantiles(&raw[0]),
            quantiles(&raw[1]),
            quantiles(&phyx)
        );
        let _ = writeln!(
            out,
            "| allocations / append | {} | {} | {} | | |",
            allocations(&raw[0]).show(1),
            allocations(&raw[1]).show(1),
            allocations(&phyx).show(1)
        );
        for written in Written::ALL {
            eprintln!("  journal replay, {} ...", written.label());
            let replayed = replay(flavor, &server.url(), written, sizes.journal_replay);
            let figure = |run: phyx_benches::Run| {
                format!(
                    "{:.2} ({:.2} s, {:.1} allocations / event)",
                    rate(sizes.journal_replay, run.elapsed),
                    run.elapsed.as_secs_f64(),
                    per(run.allocations, sizes.journal_replay)
                )
            };
            let _ = writeln!(
                out,
                "| replay of {} events, {}: M events/s | {} | | {} | {:.2}x | |",
                sizes.journal_replay,
                written.label(),
                figure(replayed.raw),
                figure(replayed.phyx),
                replayed.raw.elapsed.as_secs_f64() / replayed.phyx.elapsed.as_secs_f64()
            );
        }
        println!(
            "Journal: {} one-event appends (64 bytes) one after another through the JetStream journal store's \
             `append`, and through async-nats's JetStream publish of the same bytes (alone, and as the store's \
             message, with its headers) to a stream of the same kind, each awaited until the server \
             acknowledged it; then a fresh writer's `read` (4,096 at a \
             time) of a {}-event journal, as a recovery reads it, against async-nats fetching its messages \
             (the bytes alone column). On {} on loopback (file storage). Appends: \
             median of {runs} runs (lowest–highest), interleaved; replays: one run each.\n",
            sizes.journal_appends, sizes.journal_replay, server.version
        );
        println!("{out}");
        persisted_table(&server.url(), sizes, runs);
    }

    /// Events persisted through an event-sourced process on the JetStream
    /// journal, against the store's own appends of the same bytes.
    #[cfg(feature = "journal")]
    fn persisted_table(url: &str, sizes: Sizes, runs: usize) {
        let n = usize::try_from(sizes.journal_appends).unwrap_or(usize::MAX) / 2;
        let mut runs_of = Vec::new();
        for run in 1..=runs {
            eprintln!("  journal persisted through a process, run {run} of {runs} ...");
            runs_of.push(phyx_benches::jetstream_journal::persisted(
                Flavor::MultiThread,
                url,
                n,
                run,
            ));
        }
        use crate::journal_process::{p99, rate};
        use crate::median;
        let phyx: Vec<f64> = runs_of.iter().map(|run| rate(&run.phyx)).collect();
        let store: Vec<f64> = runs_of.iter().map(|run| rate(&run.raw)).collect();
        let ratios = phyx.iter().zip(&store).map(|(phyx, store)| phyx / store).collect();
        println!(
            "Journal, persisted through a process: {n} events of 64 bytes, `ledger.record(..).await` on a system \
             whose store is the JetStream journal, against `Journal::append` of the same bytes on that store, \
             interleaved in blocks of 100 (multi-thread(2)); median of {runs} runs.\n"
        );
        println!(
            "| persisted/s through a process | the store alone, appends/s | ratio | p99 µs, process | p99 µs, store |"
        );
        println!("| --- | --- | --- | --- | --- |");
        println!(
            "| {:.0} | {:.0} | {:.2}x | {:.0} | {:.0} |\n",
            median(phyx),
            median(store),
            median(ratios),
            median(runs_of.iter().map(|run| p99(&run.phyx)).collect()),
            median(runs_of.iter().map(|run| p99(&run.raw)).collect()),
        );
    }
}

/// The isolated tables (feature `isolated`): a counter in a child OS
/// process against the same counter as a local process.
#[cfg(feature = "isolated")]
mod isolated {
    use std::fmt::Write as _;

    use phyx_benches::isolated::{Place, ask, restart};
    use phyx_benches::{Flavor, Latencies, Sizes};

    use super::{micros, spread};

    fn means(runs: &[Latencies]) -> Vec<f64> {
        runs.iter().map(|run| micros(run.mean())).collect()
    }

    fn ratios(isolated: &[Latencies], local: &[Latencies]) -> Vec<f64> {
        means(isolated).iter().zip(means(local)).map(|(i, l)| i / l).collect()
    }

    fn table(flavor: Flavor, url: &str, sizes: Sizes, runs: usize) -> String {
        let (mut asks, mut restarts) = ([Vec::new(), Vec::new()], [Vec::new(), Vec::new()]);
        for run in 1..=runs {
            eprintln!("  isolated, run {run} of {runs} ...");
            for (index, place) in [Place::Local, Place::Isolated].into_iter().enumerate() {
                asks[index].push(ask(flavor, url, place, sizes.isolated_asks));
                restarts[index].push(restart(flavor, url, place, sizes.isolated_restarts));
            }
        }
        let mut out = String::new();
        let _ = writeln!(out, "#### isolated, {}\n", flavor.label());
        let _ = writeln!(out, "| scenario | local | isolated | isolated / local |");
        let _ = writeln!(out, "| --- | --- | --- | --- |");
        let _ = writeln!(
            out,
            "| ask: mean µs | {} | {} | {}x |",
            spread(means(&asks[0]), 2),
            spread(means(&asks[1]), 1),
            spread(ratios(&asks[1], &asks[0]), 0)
        );
        let quantiles = |runs: &[Latencies]| {
            let mut sorted: Vec<&Latencies> = runs.iter().collect();
            sorted.sort_by_key(|run| run.mean());
            let median = sorted[sorted.len() / 2];
            format!(
                "{:.1} / {:.1}",
                micros(median.quantile(0.5)),
                micros(median.quantile(0.99))
            )
        };
        let _ = writeln!(
            out,
            "| ask: p50 / p99 µs (median run) | {} | {} | |",
            quantiles(&asks[0]),
            quantiles(&asks[1])
        );
        let per_ask = |runs: &[Latencies]| spread(runs.iter().map(Latencies::allocations_per_ask).collect(), 1);
        let _ = writeln!(
            out,
            "| allocations / ask (parent) | {} | {} | |",
            per_ask(&asks[0]),
            per_ask(&asks[1])
        );
        let millis = |runs: &[Latencies]| spread(runs.iter().map(|run| micros(run.mean()) / 1e3).collect(), 3);
        let _ = writeln!(
            out,
            "| restart: crash to next reply, mean ms | {} (a panic) | {} (an abort: a new OS process) | {}x |",
            millis(&restarts[0]),
            millis(&restarts[1]),
            spread(ratios(&restarts[1], &restarts[0]), 0)
        );
        out
    }

    /// Starts a nats-server and prints the isolated tables, or says why not.
    pub(super) fn tables(sizes: Sizes, runs: usize) {
        let Some(server) = crate::nats_server_or_skip("Isolated") else {
            return;
        };
        eprintln!("isolated, on {} at {}:", server.version, server.url());
        let tables: Vec<String> = Flavor::ALL
            .into_iter()
            .map(|flavor| {
                eprintln!("{}:", flavor.label());
                table(flavor, &server.url(), sizes, runs)
            })
            .collect();
        println!(
            "Isolated: {} sequential asks, and {} crashes each followed by an ask, to a counter in a child \
             OS process (this program again) reached through {} on loopback, and to the same counter as a \
             local process. Median of {runs} runs (lowest–highest), local and isolated interleaved; the ratio \
             is the median of each pair of runs' ratios.\n",
            sizes.isolated_asks, sizes.isolated_restarts, server.version
        );
        for table in tables {
            println!("{table}");
        }
    }
}
