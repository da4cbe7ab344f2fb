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
//! run).

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

fn wanted(name: &str) -> bool {
    match std::env::var("PHYX_BENCH_ONLY") {
        Ok(only) => name.starts_with("tokio") || only.split(',').any(|wanted| name.starts_with(wanted.trim())),
        Err(_) => true,
    }
}

fn rate(count: u64, elapsed: Duration) -> f64 {
    per(count, 1) / elapsed.as_secs_f64() / 1e6
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

fn main() {
    let sizes = Sizes::from_env();
    eprintln!("sizes: {sizes:?}, best of {} runs", runs());
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
