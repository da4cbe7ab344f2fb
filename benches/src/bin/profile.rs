//! Runs one scenario once, for a profiler:
//! `valgrind --tool=callgrind target/release/profile tell phyx current`.
//!
//! Arguments: scenario (`tell`, `ask`, `spawn`, `fan-in`, `ring`,
//! `guarded`, `restart`, `pool`, `traced`, `decorators`), system (`tokio`, `tokio-unbounded`, `phyx`,
//! `kameo`, `ractor`, `actix`; for `guarded`: `none`, `breaker`, `rate`,
//! `both`, `validated`; for `pool`: `direct`, `key`, `least`; for `traced`:
//! `plain`, `traced` or `traced-in-trace`, each optionally `-registry`;
//! always current-thread; for `decorators`: `nothing`, `lookup`, `hit`,
//! `uncached`), flavor (`current` or `multi`). Sizes as `PHYX_BENCH_QUICK` says.
//!
//! With the `cluster` feature, also `remote-ask` and `remote-tell`, system
//! `phyx` or `nats` (async-nats alone), on a nats-server it starts:
//! `valgrind --tool=callgrind target/release/profile remote-ask phyx current`
//! (callgrind follows this process only, not the server).

use phyx_benches::actix_counter::Actix;
use phyx_benches::kameo_counter::Kameo;
use phyx_benches::phyx_counter::Phyx;
use phyx_benches::phyx_only::{self, Guard, PoolTarget};
use phyx_benches::ractor_counter::Ractor;
use phyx_benches::tokio_baseline::Tokio;
use phyx_benches::{Flavor, Sizes, Subject};

fn run<S: Subject>(scenario: &str, flavor: Flavor, sizes: Sizes) {
    match scenario {
        "tell" => println!("{:?}", S::tell(flavor, sizes.tells)),
        "ask" => println!("mean {:?}", S::ask(flavor, sizes.asks).mean()),
        "spawn" => println!("{:?}", S::spawn(flavor, sizes.spawns)),
        "fan-in" => println!("{:?}", S::fan_in(flavor, sizes.senders, sizes.tells)),
        "ring" => println!("{:?}", S::ring(flavor, sizes.ring_size, sizes.ring_hops)),
        other => panic!("unknown scenario {other}"),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [scenario, system, flavor] = args.as_slice() else {
        panic!("usage: profile SCENARIO SYSTEM current|multi");
    };
    let flavor = if flavor == "multi" {
        Flavor::MultiThread
    } else {
        Flavor::CurrentThread
    };
    let sizes = Sizes::from_env();
    #[cfg(feature = "cluster")]
    if let Some(scenario) = scenario.strip_prefix("remote-") {
        remote(scenario, system, flavor, sizes);
        return;
    }
    match (scenario.as_str(), system.as_str()) {
        ("guarded", guard) => {
            let guard = match guard {
                "breaker" => Guard::Breaker,
                "rate" => Guard::RateLimit,
                "both" => Guard::Both,
                "validated" => Guard::Validated,
                _ => Guard::None,
            };
            println!("{:?}", phyx_only::guarded(flavor, guard, sizes.tells));
        }
        ("pool", target) => {
            let target = match target {
                "key" => PoolTarget::ByKey,
                "least" => PoolTarget::LeastLoaded,
                _ => PoolTarget::Direct,
            };
            println!("mean {:?}", phyx_only::pool_ask(flavor, target, sizes.asks).mean());
        }
        ("traced", case) => {
            use phyx_benches::traced::{Case, tells};
            let case = Case {
                traced: case.starts_with("traced"),
                in_trace: case.contains("-in-trace"),
                subscriber: case.ends_with("-registry"),
            };
            println!("{:?}", tells(case, sizes.tells));
        }
        ("decorators", scenario) => {
            use phyx_benches::decorators::Scenario;
            let scenario = match scenario {
                "lookup" => Scenario::HashLookup,
                "hit" => Scenario::CacheHit,
                "uncached" => Scenario::UncachedAsk,
                _ => Scenario::Nothing,
            };
            println!("{:?}", scenario.run(flavor, sizes.asks));
        }
        ("restart", _) => println!("mean {:?}", phyx_only::restart(flavor, sizes.restarts).mean()),
        (scenario, "tokio") => run::<Tokio<true>>(scenario, flavor, sizes),
        (scenario, "tokio-unbounded") => run::<Tokio<false>>(scenario, flavor, sizes),
        (scenario, "phyx") => run::<Phyx>(scenario, flavor, sizes),
        (scenario, "kameo") => run::<Kameo>(scenario, flavor, sizes),
        (scenario, "ractor") => run::<Ractor>(scenario, flavor, sizes),
        (scenario, "actix") => run::<Actix>(scenario, flavor, sizes),
        (_, other) => panic!("unknown system {other}"),
    }
}

#[cfg(feature = "cluster")]
fn remote(scenario: &str, system: &str, flavor: Flavor, sizes: Sizes) {
    use phyx_benches::nats_server::NatsServer;
    use phyx_benches::remote::{PhyxRemote, RawNats, RemoteSubject};

    fn run<S: RemoteSubject>(scenario: &str, flavor: Flavor, url: &str, sizes: Sizes) {
        match scenario {
            "ask" => println!("mean {:?}", S::ask(flavor, url, sizes.remote_asks).mean()),
            "tell" => println!("{:?}", S::tell(flavor, url, sizes.remote_tells)),
            other => panic!("unknown scenario remote-{other}"),
        }
    }

    let server = NatsServer::start().unwrap_or_else(|why| panic!("no nats-server: {why}"));
    match system {
        "phyx" => run::<PhyxRemote>(scenario, flavor, &server.url(), sizes),
        "nats" => run::<RawNats>(scenario, flavor, &server.url(), sizes),
        other => panic!("unknown system {other}: phyx or nats"),
    }
}
