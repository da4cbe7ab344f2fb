//! Runs every example's logic and checks what it reports.
//!
//! Each example is a module here (`#[path]`), so these tests call the same
//! `run` that its `main` calls. Most run on the test kit's virtual time, so
//! sleeps, timeouts and backoff take no real time and every run is the
//! same.

use std::collections::BTreeSet;
use std::time::Duration;

use phyx::CallError;
use phyx_testkit::TestSystem;

// Each example's `main` is for `cargo run --example`; these tests call its
// `run`, so `main` is dead code here.
#[path = "../backoff.rs"]
#[allow(dead_code, reason = "`main` is for `cargo run`")]
pub mod backoff;
#[path = "../bank_account.rs"]
#[allow(dead_code, reason = "`main` is for `cargo run`")]
pub mod bank_account;
#[path = "../cache_fetcher.rs"]
#[allow(dead_code, reason = "`main` is for `cargo run`")]
pub mod cache_fetcher;
#[path = "../client_server.rs"]
#[allow(dead_code, reason = "`main` is for `cargo run`")]
pub mod client_server;
#[path = "../cluster.rs"]
#[allow(dead_code, reason = "`main` is for `cargo run`")]
pub mod cluster;
#[path = "../connection_pool.rs"]
#[allow(dead_code, reason = "`main` is for `cargo run`")]
pub mod connection_pool;
#[path = "../connection_server.rs"]
#[allow(dead_code, reason = "`main` is for `cargo run`")]
pub mod connection_server;
#[path = "../flaky_worker.rs"]
#[allow(dead_code, reason = "`main` is for `cargo run`")]
pub mod flaky_worker;
#[path = "../gossip_cache.rs"]
#[allow(dead_code, reason = "`main` is for `cargo run`")]
pub mod gossip_cache;
#[path = "../health.rs"]
#[allow(dead_code, reason = "`main` is for `cargo run`")]
pub mod health;
#[path = "../heartbeat.rs"]
#[allow(dead_code, reason = "`main` is for `cargo run`")]
pub mod heartbeat;
#[path = "../isolated.rs"]
#[allow(dead_code, reason = "`main` is for `cargo run`")]
pub mod isolated;
#[path = "../metrics.rs"]
#[allow(dead_code, reason = "`main` is for `cargo run`")]
pub mod metrics;
#[path = "../ping_pong.rs"]
#[allow(dead_code, reason = "`main` is for `cargo run`")]
pub mod ping_pong;
#[path = "../quickstart.rs"]
#[allow(dead_code, reason = "`main` is for `cargo run`")]
pub mod quickstart;
#[path = "../request_reply.rs"]
#[allow(dead_code, reason = "`main` is for `cargo run`")]
pub mod request_reply;
#[path = "../resilience.rs"]
#[allow(dead_code, reason = "`main` is for `cargo run`")]
pub mod resilience;
#[path = "../saga.rs"]
#[allow(dead_code, reason = "`main` is for `cargo run`")]
pub mod saga;
#[path = "../supervision.rs"]
#[allow(dead_code, reason = "`main` is for `cargo run`")]
pub mod supervision;
#[path = "../system_view.rs"]
#[allow(dead_code, reason = "`main` is for `cargo run`")]
pub mod system_view;
#[path = "../task_manager.rs"]
#[allow(dead_code, reason = "`main` is for `cargo run`")]
pub mod task_manager;
#[path = "../telemetry.rs"]
#[allow(dead_code, reason = "`main` is for `cargo run`")]
pub mod telemetry;
#[path = "../traces.rs"]
#[allow(dead_code, reason = "`main` is for `cargo run`")]
pub mod traces;
#[path = "../worker_pool.rs"]
#[allow(dead_code, reason = "`main` is for `cargo run`")]
pub mod worker_pool;

#[tokio::test]
async fn quickstart_tells_asks_times_out_and_recovers() {
    let t = TestSystem::new();
    let summary = quickstart::run(t.system()).await.unwrap();
    assert_eq!(summary.count, 5);
    assert!(matches!(summary.slow_get, Err(CallError::Timeout { after, .. }) if after == Duration::from_millis(50)));
    assert!(matches!(summary.divide, Err(CallError::Panicked { .. })));
    assert_eq!(summary.after_restart, 1, "fresh state after the crash");
}

#[tokio::test]
async fn flaky_worker_loses_only_the_items_that_panicked() {
    let t = TestSystem::with_seed(2024);
    let summary = flaky_worker::run(t.system(), 100).await.unwrap();
    let unlucky: BTreeSet<u32> = (1..=100).filter(|&item| flaky_worker::fails(2024, item)).collect();
    assert!((5..=20).contains(&unlucky.len()), "about a tenth: {unlucky:?}");
    assert_eq!(summary.lost, unlucky);
    assert_eq!(summary.done.len() + summary.lost.len(), 100);
    assert_eq!(summary.crashes, summary.lost.len(), "one crash per lost item");
    let last_lost = summary.lost.last().unwrap();
    assert_eq!(
        summary.last_instance_processed,
        100 - last_lost,
        "the last instance started fresh after the last crash"
    );
}

#[tokio::test]
async fn request_reply_finds_users_and_times_out_on_the_slow_shard() {
    let t = TestSystem::new();
    let lookups = request_reply::run(t.system()).await.unwrap();
    let found: Vec<(&str, Option<&str>)> = lookups
        .iter()
        .filter_map(|(id, result)| {
            Some((
                id.as_str(),
                result.as_ref().ok()?.as_ref().map(|user| user.name.as_str()),
            ))
        })
        .collect();
    assert_eq!(
        found,
        [
            ("alice", Some("Alice")),
            ("carol", Some("Carol")),
            ("mallory", None),
            ("bob", Some("Bob"))
        ]
    );
    let (id, result) = lookups.last().unwrap();
    assert_eq!(id, "archived-dave");
    assert!(matches!(result, Err(CallError::Timeout { after, .. }) if *after == Duration::from_millis(100)));
}

#[tokio::test]
async fn heartbeat_beats_every_second_of_virtual_time() {
    let t = TestSystem::new();
    let gaps = heartbeat::run(t.system(), 3).await.unwrap();
    assert_eq!(gaps, [heartbeat::INTERVAL; 3]);
    assert_eq!(t.elapsed(), Duration::from_millis(3500));

    // An hour of beats, in virtual time.
    let beating: heartbeat::HeartbeatRef = t.system().spawn(heartbeat::Heartbeat::default);
    t.advance(Duration::from_secs(3600)).await;
    let gaps = beating.gaps().await.unwrap();
    assert_eq!(gaps.len(), 3600, "a beat at 1 s, 2 s, ... 3600 s after the start");
    assert!(gaps.iter().all(|gap| *gap == heartbeat::INTERVAL));
}

#[tokio::test]
async fn telemetry_prints_every_event_as_a_json_line() {
    let t = TestSystem::new();
    let lines = telemetry::run(t.system()).await;
    let events: Vec<serde_json::Value> = lines
        .iter()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect();
    assert_eq!(events.len(), t.events().len(), "one line per event");
    let kinds: Vec<String> = events
        .iter()
        .map(|event| match &event["task"] {
            serde_json::Value::Null => event["event"].as_str().unwrap().to_owned(),
            task => format!("{} {task}", event["event"].as_str().unwrap()),
        })
        .collect();
    #[rustfmt::skip]
    assert_eq!(kinds, [
        "spawned", "started",
        "task_started 1", "task_completed 1", "task_started 2", "task_completed 2",
        "task_started 3", "panicked", "restarting", "started",
        "task_started 4", "task_completed 4",
        "stopped",
    ]);
    let panicked = events.iter().find(|event| event["event"] == "panicked").unwrap();
    assert_eq!(panicked["method"], "run_task");
    assert!(panicked["message"].as_str().unwrap().contains(r#"task 3: "bad input""#));
    assert_eq!(events[3]["at_ms"], 10, "task 1 took 10 ms of virtual time");
    assert!(events.iter().all(|event| event["process"] == "Worker"));
}

/// Whether `delay` is within 10% of `ms` milliseconds.
fn about(delay: Duration, ms: u64) -> bool {
    let ms = Duration::from_millis(ms);
    delay >= ms.mul_f64(0.9) && delay <= ms.mul_f64(1.1)
}

#[tokio::test]
async fn backoff_doubles_then_recovers_or_gives_up_at_the_limit() {
    let t = TestSystem::new();
    let (orders, reports) = backoff::run(t.system()).await;

    assert_eq!(orders.reply.as_deref(), Ok("rows for `select * from orders`"));
    assert!(!orders.gave_up);
    assert_eq!(orders.delays.len(), 3);
    assert!(
        orders.delays.iter().zip([20, 40, 80]).all(|(d, ms)| about(*d, ms)),
        "{:?}",
        orders.delays
    );

    assert!(matches!(reports.reply, Err(CallError::Stopped { .. })));
    assert!(reports.gave_up);
    assert_eq!(reports.delays.len(), 5, "five restarts, then the limit");
    assert!(
        reports
            .delays
            .iter()
            .zip([20, 40, 80, 160, 320])
            .all(|(d, ms)| about(*d, ms)),
        "{:?}",
        reports.delays
    );
}

#[tokio::test]
async fn supervision_restarts_the_gateway_and_leaves_the_inventory_alone() {
    let t = TestSystem::new();
    let summary = supervision::run(t.system()).await.unwrap();
    assert!(matches!(
        &summary.charges[..2],
        [Err(CallError::Panicked { .. }), Err(CallError::Panicked { .. })]
    ));
    assert_eq!(summary.charges[2].as_deref(), Ok("receipt for 1999 cents (attempt 3)"));
    assert_eq!(summary.reserved, (2, 3), "the inventory kept its state");
    assert_eq!(summary.gateway_restarts, 2);
}

#[tokio::test]
async fn task_manager_distributes_to_every_child_and_they_stop_with_it() {
    let t = TestSystem::new();
    let summary = task_manager::run(t.system()).await.unwrap();
    assert_eq!(summary.completed, [2, 2, 2]);
    assert_eq!(summary.after_stop, [phyx::Status::Stopped; 3]);
    let spawned_by_manager = t
        .events()
        .count(|kind| matches!(kind, phyx::event::EventKind::Spawned { parent: Some(_) }));
    assert_eq!(spawned_by_manager, 3);
}

#[tokio::test]
async fn connection_pool_hands_out_up_to_its_limit_then_none_and_reuses_released() {
    let t = TestSystem::new();
    let summary = connection_pool::run(t.system()).await.unwrap();
    assert_eq!(summary.acquired, [1, 2, 3]);
    assert_eq!(summary.exhausted, None);
    assert_eq!(
        summary.reacquired,
        Some(summary.released),
        "the released connection is reused"
    );
    assert_eq!(summary.stats, (0, 3), "all back, none leaked");
}

/// The account's OS process in the bank account example, for the test
/// below: this test binary again, running only this test, as the example
/// starts a copy of itself. Ignored, so a plain `cargo test` does not run
/// it; run by hand, it has no journal to open and returns.
#[tokio::test]
#[ignore = "the OS process of `bank_account_keeps_its_balance_through_a_crash_and_a_sigkill`, which runs it"]
async fn bank_account_child() {
    if let Some(dir) = std::env::var_os(bank_account::CHILD_VAR) {
        bank_account::child(std::path::Path::new(&dir)).await.unwrap();
    }
}

#[tokio::test]
async fn bank_account_keeps_its_balance_through_a_crash_and_a_sigkill() {
    use bank_account::Entry;
    let dir = std::env::temp_dir().join(format!("phyx-bank-account-test-{}", std::process::id()));
    let mut child = tokio::process::Command::new(std::env::current_exe().unwrap());
    child.args(["bank_account_child", "--exact", "--ignored", "--nocapture", "--quiet"]);
    let summary = tokio::time::timeout(Duration::from_secs(60), bank_account::run(&dir, child))
        .await
        .expect("hung: the bank account example")
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(summary.before_kill, 95, "100 - 30 + 25; the overdraft refused");
    assert_eq!(summary.after_kill, 95, "replayed in a new OS process after the SIGKILL");
    assert_eq!(
        summary.journal,
        [Entry::Deposited(100), Entry::Withdrew(30), Entry::Deposited(25)]
    );
}

#[tokio::test]
async fn gossip_cache_ends_with_every_key_on_every_node_newest_value_winning() {
    let t = TestSystem::new();
    let summary = gossip_cache::run(t.system()).await.unwrap();
    assert!(
        !summary.node3_before_gossip.contains_key("user:bob"),
        "node3 joined after bob was written: {:?}",
        summary.node3_before_gossip
    );
    let expected: std::collections::BTreeMap<String, String> = [
        ("user:alice", "Alice Liddell"),
        ("user:bob", "Bob"),
        ("user:charlie", "Charlie"),
    ]
    .into_iter()
    .map(|(key, value)| (key.to_owned(), value.to_owned()))
    .collect();
    assert_eq!(summary.nodes, [expected.clone(), expected.clone(), expected]);
}

#[tokio::test]
async fn ping_pong_plays_a_fixed_number_of_rounds() {
    let t = TestSystem::new();
    let summary = ping_pong::run(t.system(), 5).await.unwrap();
    assert_eq!(
        summary,
        ping_pong::Summary {
            last_ball: 5,
            ping_hits: 5,
            pong_hits: 5
        }
    );
}

#[tokio::test]
async fn client_server_matches_out_of_order_replies_by_id() {
    let t = TestSystem::new();
    let replies = client_server::run(t.system()).await.unwrap();
    let arrived: Vec<(u64, &str, &str)> = replies
        .iter()
        .map(|reply| (reply.id, reply.command.as_str(), reply.result.as_str()))
        .collect();
    assert_eq!(
        arrived,
        [
            (102, "ping", "pong"),
            (101, "search", "3 hits"),
            (100, "report", "report ready")
        ],
        "the last request sent is answered first, and each reply is matched to its request"
    );
    assert_eq!(t.elapsed(), Duration::from_millis(300), "the three ran at once");
}

#[tokio::test]
async fn worker_pool_computes_every_job_and_spreads_them_over_the_members() {
    let t = TestSystem::new();
    let summary = worker_pool::run(t.system(), 100).await.unwrap();
    // The primes below 10,000, by a sieve.
    let mut composite = vec![false; 10_000];
    let mut sieve = Vec::new();
    for n in 2..composite.len() {
        if !composite[n] {
            sieve.push(n as u64);
            (n * n..composite.len()).step_by(n).for_each(|m| composite[m] = true);
        }
    }
    let expected: Vec<(u32, u64)> = (1..=8).map(|k| (k * 100, sieve[k as usize * 100 - 1])).collect();
    assert_eq!(summary.primes, expected);
    assert_eq!(
        summary.per_member.len(),
        4,
        "every member worked: {:?}",
        summary.per_member
    );
    assert_eq!(summary.per_member.values().sum::<u32>(), 8);
}

#[tokio::test]
async fn resilience_limits_the_rate_and_breaks_the_circuit_until_a_trial_succeeds() {
    use phyx::event::CircuitState::{Closed, HalfOpen, Open};
    let t = TestSystem::new();
    let summary = resilience::run(t.system()).await;
    assert_eq!(summary.temperature, ["ok", "ok", "rate limited", "ok"]);
    #[rustfmt::skip]
    assert_eq!(summary.forecast, [
        "failed", "failed", "failed",   // three in a row open the breaker
        "circuit open",                 // fails fast; wait out the cooldown
        "failed",                       // the trial fails: open again
        "circuit open",
        "ok", "ok",                     // the trial succeeds: closed
    ]);
    let cooldown = Duration::from_millis(200);
    assert_eq!(
        summary.circuit,
        [
            Open { retry_after: cooldown },
            HalfOpen,
            Open { retry_after: cooldown },
            HalfOpen,
            Closed
        ]
    );
}

/// The OS process of the saga example's third order, for the test below:
/// this test binary again, running only this test. Ignored, so a plain
/// `cargo test` does not run it; run by hand, it has no journal and returns.
#[tokio::test]
#[ignore = "the OS process of `saga_resumes_an_order_whose_os_process_was_killed_mid_saga`, which runs it"]
async fn saga_child() {
    if let Some(dir) = std::env::var_os(saga::CHILD_VAR) {
        saga::child(std::path::Path::new(&dir)).await.unwrap();
    }
}

#[tokio::test]
async fn saga_resumes_an_order_whose_os_process_was_killed_mid_saga() {
    let dir = std::env::temp_dir().join(format!("phyx-saga-example-test-{}", std::process::id()));
    let mut child = tokio::process::Command::new(std::env::current_exe().unwrap());
    child.args(["saga_child", "--exact", "--ignored", "--nocapture", "--quiet"]);
    let resumed = tokio::time::timeout(Duration::from_secs(60), saga::resume(&dir, child))
        .await
        .expect("hung: the saga example")
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(resumed.unfinished, ["order-3"]);
    assert_eq!(
        resumed.resume,
        phyx::saga::Resume::Continue {
            completed: 2,
            resend: true
        },
        "reserved and charged before the kill; shipping in flight"
    );
    assert_eq!(resumed.parcel, "parcel #1 to 7 Harbour Rd");
    assert_eq!(
        (resumed.stock, resumed.charged_cents),
        (4, 1_250),
        "reserved once, charged once, across the kill"
    );
}

#[tokio::test]
async fn saga_ships_one_order_and_undoes_the_other_last_step_first() {
    let t = TestSystem::with_journal(phyx::journal::MemoryJournal::new());
    let summary = saga::run(t.system()).await.unwrap();
    assert_eq!(summary.shipped, ["parcel #1 to 12 Main St"]);
    let [failed] = summary.failed.as_slice() else {
        panic!("one order fails: {:?}", summary.failed)
    };
    assert_eq!(
        (failed.key().to_string(), failed.method()),
        ("order-2/3".to_owned(), "ship")
    );
    let undone: Vec<_> = failed
        .compensations()
        .iter()
        .map(|c| (c.key.to_string(), c.method))
        .collect();
    assert_eq!(
        undone,
        [("order-2/2".to_owned(), "refund"), ("order-2/1".to_owned(), "release")]
    );
    assert!(failed.is_compensated());
    assert_eq!(
        (summary.stock, summary.charged_cents),
        (3, 2_500),
        "only order-1 holds stock and money"
    );
}

#[test]
fn every_example_in_the_manifest_is_run_by_a_test_here() {
    let manifest = include_str!("../Cargo.toml");
    let tests = include_str!("examples.rs");
    let names: Vec<&str> = manifest
        .split("[[example]]")
        .skip(1)
        .filter_map(|entry| {
            entry
                .lines()
                .find_map(|line| line.strip_prefix("name = \"")?.strip_suffix('"'))
        })
        .collect();
    let readme = include_str!("../../README.md");
    assert!(
        readme.contains(&format!("| {} examples, ", names.len())),
        "the README's feature table counts {} examples",
        names.len()
    );
    for name in names {
        assert!(
            tests.contains(&format!("#[path = \"../{name}.rs\"]")),
            "{name} is not a module here"
        );
        assert!(tests.contains(&format!("{name}::run(")), "no test runs {name}");
    }
}

#[tokio::test]
async fn system_view_prints_the_tree_with_the_catalogs_restart() {
    let t = TestSystem::new();
    let lines = system_view::run(t.system()).await;
    let shapes: Vec<String> = lines
        .iter()
        .map(|line| line.split(',').next().unwrap().split('#').next().unwrap().to_string())
        .collect();
    assert_eq!(
        shapes,
        ["Storefront", "  catalog", "Resizer", "  Resizer[0]", "  Resizer[1]"]
    );
    assert!(lines[1].contains("1 restarts, up 40ms"), "{}", lines[1]);
    assert!(lines[0].contains("supervisor Running"), "{}", lines[0]);
    assert!(lines[2].contains("pool Running"), "{}", lines[2]);
}

#[tokio::test]
async fn metrics_counts_messages_restarts_panics_and_breaker_transitions() {
    // The one recorder of this test binary: no other test installs one.
    let prometheus = metrics::install().expect("no recorder installed before");
    let t = TestSystem::new();
    metrics::run(t.system()).await;
    let text = prometheus.render();
    // Sorted: the exporter renders series in no fixed order.
    let series = |name: &str| -> Vec<&str> {
        let mut lines: Vec<&str> = text
            .lines()
            .filter(|line| line.starts_with(name) && line.contains(r#"process="Prices""#))
            .collect();
        lines.sort_unstable();
        lines
    };
    assert_eq!(
        series("phyx_messages_handled_total"),
        [
            r#"phyx_messages_handled_total{process="Prices",method="discount"} 2"#,
            r#"phyx_messages_handled_total{process="Prices",method="price"} 6"#,
        ],
        "the panicked ask and the one the breaker refused were not handled:\n{text}"
    );
    assert_eq!(
        series("phyx_restarts_total"),
        [r#"phyx_restarts_total{process="Prices"} 1"#]
    );
    assert_eq!(
        series("phyx_panics_total"),
        [r#"phyx_panics_total{process="Prices"} 1"#]
    );
    assert_eq!(
        series("phyx_circuit_transitions_total"),
        [r#"phyx_circuit_transitions_total{process="Prices",method="discount",state="open"} 1"#]
    );
    assert_eq!(
        series("phyx_mailbox_depth"),
        [r#"phyx_mailbox_depth{process="Prices"} 0"#]
    );
    assert!(
        series("phyx_handler_seconds_count")
            .contains(&r#"phyx_handler_seconds_count{process="Prices",method="price"} 6"#),
        "{text}"
    );
}

#[tokio::test]
async fn cache_fetcher_waits_out_the_rate_limit_and_reaches_the_restarted_fetcher() {
    let t = TestSystem::new();
    let summary = cache_fetcher::run(t.system()).await.unwrap();
    let value = |key: &str| Ok(format!("value of {key}"));
    let lookups: Vec<_> = summary
        .lookups
        .iter()
        .map(|(key, value)| (key.as_str(), value.clone()))
        .collect();
    assert_eq!(
        lookups[..5],
        [
            ("a", value("a")),
            ("b", value("b")),
            ("a", value("a")),
            ("c", value("c")),
            ("d", value("d")),
        ]
    );
    assert!(matches!(lookups[5], ("poison", Err(CallError::Panicked { .. }))));
    assert_eq!(
        lookups[6..],
        [("e", value("e")), ("b", value("b"))],
        "through the same handle, after the restart"
    );
    assert!(summary.waited >= 1, "c and d wait for the quota: {summary:?}");
    assert_eq!(summary.fetcher_restarts, 1);
}

#[tokio::test]
async fn connection_server_restarts_one_connection_and_stops_the_rest_with_it() {
    let t = TestSystem::new();
    let summary = connection_server::run(t.system()).await.unwrap();
    let replies: Vec<_> = summary
        .replies
        .iter()
        .map(|(client, reply)| (*client, reply.clone()))
        .collect();
    assert_eq!(
        replies[..3],
        [
            (1, Ok("client 1: echo hello (line 1)".to_owned())),
            (2, Ok("client 2: echo hi (line 1)".to_owned())),
            (3, Ok("client 3: echo hey (line 1)".to_owned())),
        ]
    );
    assert!(matches!(replies[3], (2, Err(CallError::Panicked { .. }))));
    assert_eq!(
        replies[4..],
        [
            (2, Ok("client 2: echo again (line 1)".to_owned())),
            (1, Ok("client 1: echo still here (line 2)".to_owned())),
            (2, Ok("client 2: goodbye after 2 lines".to_owned())),
        ],
        "client 2 restarted alone, from fresh state"
    );
    assert_eq!(summary.open, 2, "client 2 left the list");
    assert_eq!(
        summary.stopped,
        [phyx::StopReason::Shutdown, phyx::StopReason::Shutdown]
    );
    assert!(matches!(summary.late, Err(phyx::ChildError::Stopped { .. })));
    assert_eq!(t.events().restarts_of("client-2").len(), 1);
}

/// Node b of the cluster example, for the test below: it starts this test
/// binary again to run only this test, as the example starts a second
/// copy of itself. Ignored, so a plain `cargo test` does not run it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "node b of `cluster_kills_a_node_and_the_other_carries_on`, which runs it in a process of its own"]
async fn cluster_node_b() {
    // Run by hand (`--ignored`), it has no cluster to join.
    if let Ok(url) = std::env::var(cluster::NODE_B_VAR) {
        cluster::node_b(&url).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_kills_a_node_and_the_other_carries_on() {
    let Some(server) = phyx_testkit::nats::NatsServer::start() else {
        return;
    };
    let mut node_b = tokio::process::Command::new(std::env::current_exe().unwrap());
    // `--nocapture`: node b's "ready" reaches its stdout; `--quiet`: on a
    // line of its own.
    node_b.args(["cluster_node_b", "--exact", "--ignored", "--nocapture", "--quiet"]);
    let story = cluster::run(&server.url(), node_b).await.unwrap();

    assert_eq!(
        story.counter,
        cluster::Tally {
            node: "b".to_owned(),
            count: 5
        }
    );
    let before: BTreeSet<&str> = story.pool_before.iter().map(String::as_str).collect();
    assert_eq!(before, BTreeSet::from(["a", "b"]), "20 calls spread over both nodes");
    for result in [&story.in_flight, &story.later] {
        match result {
            Err(CallError::NodeDown { node, .. }) => assert_eq!(&**node, "b"),
            other => panic!("expected NodeDown of `b`, got {other:?}"),
        }
    }
    assert_eq!(story.pool_after, ["a"; 10], "node a carries on alone");
}

/// The workers' OS process of the isolated example, for the test below:
/// this test binary again, running only this test (a libtest `main` cannot
/// call `serve_if_child` first). Ignored, so a plain `cargo test` does not
/// run it; run by hand, it is no child and returns.
#[test]
#[ignore = "a worker's OS process of `isolated_crashes_one_worker_and_not_its_neighbour`"]
fn isolated_worker() {
    phyx::isolated::serve_if_child(|children| children.add(isolated::Cruncher::default));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn isolated_crashes_one_worker_and_not_its_neighbour() {
    let Some(server) = phyx_testkit::nats::NatsServer::start() else {
        return;
    };
    let child = phyx::isolated::Isolation::new()
        .program(std::env::current_exe().unwrap())
        .args(["isolated_worker", "--exact", "--ignored", "--nocapture", "--quiet"]);
    let story = tokio::time::timeout(Duration::from_secs(120), isolated::run(&server.url(), child))
        .await
        .expect("hung: the isolated example")
        .unwrap();

    // The flaky worker: each job ending in 13 aborted its OS process and
    // failed; the others were done, each instance counting from 1 again.
    let mut pids = BTreeSet::new();
    for (limit, answer) in isolated::JOBS.iter().zip(&story.flaky) {
        match answer {
            Ok(job) => {
                assert_eq!(job.limit, *limit);
                pids.insert(job.pid);
            }
            Err(CallError::Panicked { message, .. }) => {
                assert_eq!(limit % 100, 13, "only the poisoned jobs fail");
                assert!(message.contains("died: signal 6 (SIGABRT)"), "{message}");
            }
            Err(other) => panic!("expected Panicked, got {other:?}"),
        }
    }
    let done: Vec<u64> = story.flaky.iter().flatten().map(|job| job.done).collect();
    assert_eq!(done, [1, 1, 2, 1], "fresh state after each crash");
    assert_eq!(pids.len(), 3, "a fresh OS process after each crash");
    assert_eq!(story.restarts, 2);
    // The healthy worker: one OS process, every job, in order.
    let steady: Vec<(u64, u64)> = story.steady.iter().map(|job| (job.limit, job.done)).collect();
    assert_eq!(steady, [(20_000, 1), (40_000, 2), (50_000, 3), (70_000, 4)]);
    assert!(story.steady.iter().all(|job| job.pid == story.steady[0].pid));
    assert_eq!(story.steady[0].primes, 2262);
}

/// `GET path` on `addr` with hyper's client: the status and the body.
async fn get(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    use http_body_util::BodyExt;
    let stream = tokio::net::TcpStream::connect(addr).await.expect("the example listens");
    let (mut sender, connection) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
        .await
        .expect("an HTTP/1 handshake");
    tokio::spawn(connection);
    let request = hyper::Request::get(path)
        .header(hyper::header::HOST, addr.to_string())
        .body(http_body_util::Empty::<hyper::body::Bytes>::new())
        .expect("a request");
    let response = sender.send_request(request).await.expect("a response");
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.expect("a body").to_bytes();
    (status, String::from_utf8(body.to_vec()).expect("UTF-8"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_serves_the_report_as_json_degraded_then_unhealthy() {
    // Real time and a real socket: every wait is bounded, never measured.
    const HUNG: Duration = Duration::from_secs(60);
    let system = phyx::System::new();
    let shop = health::start(&system);
    // Children start in order: once the last one answers, none is still
    // starting (which the report would blame instead of the declines).
    let mailed = tokio::time::timeout(HUNG, shop.mailer().send("ada@example.com".into())).await;
    assert_eq!(
        mailed.expect("hung").expect("the mailer answers"),
        "mailed ada@example.com"
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let serving = tokio::spawn({
        let system = system.clone();
        async move { health::run(&system, listener, 3).await }
    });

    let (status, body) = tokio::time::timeout(HUNG, get(addr, "/health")).await.expect("hung");
    assert_eq!(status, 200, "degraded is still serving: {body}");
    let report: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(report["status"], "degraded");
    assert_eq!(report["shutting_down"], false);
    let shop_entry = &report["processes"][0];
    assert_eq!(shop_entry["name"], "Shop");
    assert_eq!(shop_entry["kind"], "supervisor");
    assert_eq!(shop_entry["check"], false);
    assert_eq!(shop_entry["why"], "payments: 2 declines in a row");
    let children: Vec<(&str, &str)> = shop_entry["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|child| (child["name"].as_str().unwrap(), child["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        children,
        [
            ("inventory", "healthy"),
            ("payments", "degraded"),
            ("mailer", "healthy")
        ]
    );
    assert_eq!(shop_entry["children"][0]["detail"], "3 items");
    assert_eq!(shop_entry["children"][2]["check"], false);

    shop.payments().declined().await.unwrap();
    let (status, body) = tokio::time::timeout(HUNG, get(addr, "/health")).await.expect("hung");
    assert_eq!(status, 503, "{body}");
    let report: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(report["status"], "unhealthy");
    assert_eq!(
        report["processes"][0]["children"][1]["why"],
        "3 declines in a row: the card network is down"
    );

    let (status, _) = tokio::time::timeout(HUNG, get(addr, "/metrics")).await.expect("hung");
    assert_eq!(status, 404);
    // Its third request answered, it stops serving.
    tokio::time::timeout(HUNG, serving)
        .await
        .expect("hung")
        .unwrap()
        .unwrap();
    system.shutdown().await;
}

#[tokio::test]
async fn traces_prints_one_tree_from_the_incoming_traceparent() {
    use tracing_subscriber::layer::SubscriberExt as _;

    let sink = traces::SpanSink::default();
    let _guard = tracing::subscriber::set_default(tracing_subscriber::registry().with(sink.clone()));
    let t = TestSystem::new();
    let upstream = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    assert_eq!(traces::run(t.system(), Some(upstream)).await, Ok(450));
    let tree = sink.tree();
    // One trace, the upstream's; the edge under the upstream's span, the
    // order under the edge, the reservation and the charge under it.
    let shape: Vec<String> = tree
        .iter()
        .map(|line| line.split("  span").next().unwrap().to_owned())
        .collect();
    assert_eq!(
        shape,
        [
            "trace 4bf92f3577b34da6a3ce929d0e0e4736",
            "  http.request",
            "    Orders.order",
            "      Inventory.reserve",
            "      Billing.charge",
        ],
        "{tree:#?}"
    );
    assert!(tree[1].ends_with("(parent 00f067aa0ba902b7)"), "{tree:#?}");
    let spans = sink.spans();
    assert!(
        spans
            .iter()
            .all(|span| span.fields["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736")
    );

    // Without a header (or with one that does not read): a trace of its own.
    let before = sink.spans().len();
    assert_eq!(traces::run(t.system(), Some("00-garbage")).await, Ok(450));
    let fresh = &sink.spans()[before..];
    assert_eq!(fresh.len(), 4);
    assert!(
        fresh
            .iter()
            .all(|span| span.fields["trace_id"] == fresh[0].fields["trace_id"])
    );
    assert_ne!(fresh[0].fields["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
}
