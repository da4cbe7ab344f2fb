//! Criterion timings of every scenario for every system, on both runtime
//! flavors: `cargo bench -p phyx-benches`. Filter as usual, e.g.
//! `cargo bench -p phyx-benches -- tell/current-thread`.
//!
//! Each iteration is a whole scenario (a million tells, a hundred thousand
//! asks, ...) on a fresh runtime, timed from inside by the scenario itself
//! (`iter_custom`), so runtime start-up is not counted. The ratio table
//! comes from `src/bin/ratios.rs`.
//!
//! With the `cluster` feature (on by default), `remote-ask` and
//! `remote-tell` call a counter on another node, phyx and async-nats
//! alone, on a nats-server started for the run (skipped, saying so,
//! without one).

use std::time::Duration;

use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main, measurement::WallTime};
use phyx::Overflow;
use phyx_benches::actix_counter::Actix;
use phyx_benches::kameo_counter::Kameo;
use phyx_benches::phyx_counter::Phyx;
use phyx_benches::phyx_only::{self, Guard};
use phyx_benches::ractor_counter::Ractor;
use phyx_benches::tokio_baseline::Tokio;
use phyx_benches::{Flavor, Sizes, Subject};

/// Times `scenario` (which reports its own duration) `iters` times.
fn timed(iters: u64, mut scenario: impl FnMut() -> Duration) -> Duration {
    (0..iters).map(|_| scenario()).sum()
}

fn group<'a>(c: &'a mut Criterion, name: &str, elements: u64) -> BenchmarkGroup<'a, WallTime> {
    let mut group = c.benchmark_group(name);
    // A scenario takes from milliseconds to a second: few samples suffice.
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Elements(elements));
    group
}

fn subject<S: Subject>(c: &mut Criterion, sizes: Sizes) {
    for flavor in Flavor::ALL {
        let id = format!("{}/{}", flavor.label(), S::NAME);
        group(c, "tell", sizes.tells).bench_function(&id, |b| {
            b.iter_custom(|iters| timed(iters, || S::tell(flavor, sizes.tells).elapsed));
        });
        group(c, "ask", sizes.asks).bench_function(&id, |b| {
            b.iter_custom(|iters| timed(iters, || S::ask(flavor, sizes.asks).sorted.iter().sum()));
        });
        group(c, "spawn", sizes.spawns as u64).bench_function(&id, |b| {
            b.iter_custom(|iters| timed(iters, || S::spawn(flavor, sizes.spawns).spawn.elapsed));
        });
        group(c, "fan-in", sizes.tells).bench_function(&id, |b| {
            b.iter_custom(|iters| timed(iters, || S::fan_in(flavor, sizes.senders, sizes.tells).elapsed));
        });
        group(c, "ring", sizes.ring_hops).bench_function(&id, |b| {
            b.iter_custom(|iters| timed(iters, || S::ring(flavor, sizes.ring_size, sizes.ring_hops).elapsed));
        });
    }
}

fn phyx_alone(c: &mut Criterion, sizes: Sizes) {
    for flavor in Flavor::ALL {
        for (name, policy) in [
            ("backpressure", Overflow::Backpressure),
            ("reject", Overflow::Reject),
            ("drop-oldest", Overflow::DropOldest),
        ] {
            let id = format!("{}/{name}", flavor.label());
            group(c, "phyx-overflow", sizes.tells).bench_function(&id, |b| {
                b.iter_custom(|iters| timed(iters, || phyx_only::overflow(flavor, policy, sizes.tells).elapsed));
            });
        }
        for guard in Guard::ALL {
            let id = format!("{}/{guard:?}", flavor.label());
            group(c, "phyx-guarded-tell", sizes.tells).bench_function(&id, |b| {
                b.iter_custom(|iters| timed(iters, || phyx_only::guarded(flavor, guard, sizes.tells).elapsed));
            });
        }
        group(c, "phyx-restart", sizes.restarts).bench_function(flavor.label(), |b| {
            b.iter_custom(|iters| timed(iters, || phyx_only::restart(flavor, sizes.restarts).sorted.iter().sum()));
        });
    }
}

#[cfg(feature = "cluster")]
fn remote(c: &mut Criterion, sizes: Sizes) {
    use phyx_benches::nats_server::{INSTALL, NatsServer};
    use phyx_benches::remote::{PhyxRemote, RawNats, RemoteSubject};

    fn subject<S: RemoteSubject>(c: &mut Criterion, url: &str, sizes: Sizes) {
        for flavor in Flavor::ALL {
            let id = format!("{}/{}", flavor.label(), S::NAME);
            group(c, "remote-ask", sizes.remote_asks).bench_function(&id, |b| {
                b.iter_custom(|iters| timed(iters, || S::ask(flavor, url, sizes.remote_asks).sorted.iter().sum()));
            });
            group(c, "remote-tell", sizes.remote_tells).bench_function(&id, |b| {
                b.iter_custom(|iters| timed(iters, || S::tell(flavor, url, sizes.remote_tells).run.elapsed));
            });
        }
    }

    let server = match NatsServer::start() {
        Ok(server) => server,
        Err(why) => {
            eprintln!("remote benchmarks SKIPPED: no nats-server ({why}); install one with `{INSTALL}`");
            return;
        }
    };
    subject::<RawNats>(c, &server.url(), sizes);
    subject::<PhyxRemote>(c, &server.url(), sizes);
}

fn all(c: &mut Criterion) {
    let sizes = Sizes::from_env();
    subject::<Tokio<true>>(c, sizes);
    subject::<Tokio<false>>(c, sizes);
    subject::<Phyx>(c, sizes);
    subject::<Kameo>(c, sizes);
    subject::<Ractor>(c, sizes);
    subject::<Actix>(c, sizes);
    phyx_alone(c, sizes);
    #[cfg(feature = "cluster")]
    remote(c, sizes);
}

criterion_group!(benches, all);
criterion_main!(benches);
