//! `#[health_check]` and `System::health`, on virtual time: what the
//! report says of each process, that a check that does not answer costs
//! the caller the timeout and no more, and that checks run at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use phyx::event::EventKind;
use phyx::health::{HealthReport, HealthStatus, ProcessHealth};
use phyx::prelude::*;
use phyx::{Backoff, ProcessKind, SpawnOptions, Status};
use phyx_testkit::TestSystem;
use phyx_tests::Gate;

const SECOND: Duration = Duration::from_secs(1);

/// Answers whatever it is told to, and counts the checks it ran.
struct Service {
    health: Health,
    checks: Arc<AtomicU32>,
}

impl Service {
    fn new(health: Health) -> Self {
        Self {
            health,
            checks: Arc::default(),
        }
    }

    fn counted(health: Health, checks: &Arc<AtomicU32>) -> Self {
        Self {
            health,
            checks: checks.clone(),
        }
    }
}

#[process]
impl Service {
    #[public]
    fn set(&mut self, health: Health) {
        self.health = health;
    }

    #[public]
    async fn block(&self, gate: Gate) {
        gate.pass().await;
    }

    #[public]
    fn crash(&self) {
        panic!("crashed on purpose");
    }

    #[health_check]
    fn health(&self) -> Health {
        self.checks.fetch_add(1, Ordering::Relaxed);
        self.health.clone()
    }
}

/// A process with no check.
#[derive(Default)]
struct Plain;

#[process]
impl Plain {
    #[public]
    fn ping(&self) {}
}

fn entry<'a>(report: &'a HealthReport, name: &str) -> &'a ProcessHealth {
    report
        .find(name)
        .unwrap_or_else(|| panic!("no process named {name} in\n{report}"))
}

fn spawn_named(system: &System, name: &str, health: Health) -> ServiceRef {
    system.spawn_with(move || Service::new(health.clone()), SpawnOptions::new().name(name))
}

#[tokio::test]
async fn the_report_is_as_healthy_as_its_least_healthy_process() {
    let t = TestSystem::new();
    let system = t.system();
    let db = spawn_named(system, "db", Health::healthy());
    let cache = spawn_named(system, "cache", Health::degraded("cold cache"));
    t.settle().await;

    let report = system.health().await;
    assert_eq!(report.status(), HealthStatus::Degraded, "{report}");
    assert!(!report.is_healthy());
    assert_eq!(entry(&report, "db").health(), &Health::healthy());
    assert_eq!(entry(&report, "cache").why().as_deref(), Some("cold cache"));
    assert!(entry(&report, "cache").has_check());
    assert_eq!(report.get(db.id()).map(ProcessHealth::name), Some("db"));
    assert_eq!(t.elapsed(), Duration::ZERO, "every check answered at once");

    cache.set(Health::unhealthy("disk full")).await.unwrap();
    db.set(Health::degraded("slow")).await.unwrap();
    let report = system.health().await;
    assert_eq!(report.status(), HealthStatus::Unhealthy);
    assert_eq!(
        report.to_string(),
        format!(
            "unhealthy\n  db#{} process: degraded: slow\n  cache#{} process: unhealthy: disk full",
            db.id().get(),
            cache.id().get()
        )
    );

    cache.set(Health::healthy().with_detail("42 entries")).await.unwrap();
    db.set(Health::healthy()).await.unwrap();
    let report = system.health().await;
    assert!(report.is_healthy(), "{report}");
    assert_eq!(entry(&report, "cache").why(), None);
    assert_eq!(entry(&report, "cache").health().detail(), Some("42 entries"));
}

#[tokio::test]
async fn a_system_without_processes_is_healthy() {
    let t = TestSystem::new();
    let report = t.system().health().await;
    assert!(report.is_healthy());
    assert_eq!(report.processes(), []);
    assert_eq!(report.iter().count(), 0);
}

/// A check that waits for ever.
struct Hung;

#[process]
impl Hung {
    #[public]
    fn ping(&self) {}

    #[health_check]
    async fn health(&self) -> Health {
        std::future::pending::<()>().await;
        Health::healthy()
    }
}

#[tokio::test]
async fn a_check_that_never_answers_is_unhealthy_at_exactly_the_timeout() {
    let t = TestSystem::new();
    let system = t.system();
    let hung = system.spawn(|| Hung);
    system.spawn(Plain::default);
    t.settle().await;

    let report = system.health().await;
    assert_eq!(t.elapsed(), SECOND, "the default timeout, on virtual time");
    assert_eq!(report.timeout(), phyx::health::Checkup::DEFAULT_TIMEOUT);
    let hung_entry = report.get(hung.id()).unwrap();
    assert_eq!(hung_entry.health(), &Health::unhealthy("did not answer within 1s"));
    assert_eq!(report.status(), HealthStatus::Unhealthy);
    assert!(entry(&report, "Plain").health().is_healthy());

    let report = system.health().timeout(Duration::from_millis(250)).await;
    assert_eq!(t.elapsed(), SECOND + Duration::from_millis(250));
    // The same check as before: still waiting, so not asked again.
    assert_eq!(
        report.get(hung.id()).unwrap().why().as_deref(),
        Some("did not answer within 250ms (its check has waited 1.25s)")
    );
    assert_eq!(hung.queued(), 0, "the check in flight is the only one");
}

#[tokio::test]
async fn a_check_that_panics_is_unhealthy_and_crashes_its_process() {
    struct Fragile;

    #[process]
    impl Fragile {
        #[public]
        fn ping(&self) {}

        #[health_check]
        fn check(&self) -> Health {
            panic!("the check broke");
        }
    }

    let t = TestSystem::new();
    let system = t.system();
    let fragile = system.spawn(|| Fragile);
    t.settle().await;

    let report = system.health().await;
    assert_eq!(t.elapsed(), Duration::ZERO);
    assert_eq!(
        report.get(fragile.id()).unwrap().health(),
        &Health::unhealthy("its health check panicked: the check broke")
    );
    let events = t.events();
    events.assert_panicked("Fragile", "the check broke", Duration::ZERO);
    assert!(
        events.count(|kind| matches!(
            kind,
            EventKind::Panicked {
                method: Some("check"),
                ..
            }
        )) == 1,
        "the panic names the check: {:?}",
        events.trace()
    );
    assert_eq!(events.restarts_of("Fragile").len(), 1);

    // In its backoff now: degraded, and not asked.
    let report = system.health().await;
    assert_eq!(
        report.get(fragile.id()).unwrap().why().as_deref(),
        Some("restarting after a crash (0 restarts so far)")
    );
    t.advance(SECOND).await;
    fragile.ping().await.expect("the handle works after the restart");
}

#[tokio::test]
async fn a_process_stuck_in_a_handler_is_unhealthy_until_it_is_free() {
    let t = TestSystem::new();
    let system = t.system();
    let checks = Arc::new(AtomicU32::new(0));
    let stuck = system.spawn({
        let checks = checks.clone();
        move || Service::counted(Health::healthy(), &checks)
    });
    let gate = Gate::new();
    stuck.block(gate.clone()).send().unwrap();
    gate.entered().await;

    for _ in 0..5 {
        let report = system.health().await;
        assert_eq!(
            report.get(stuck.id()).unwrap().status(),
            HealthStatus::Unhealthy,
            "{report}"
        );
    }
    assert_eq!(t.elapsed(), 5 * SECOND);
    assert_eq!(stuck.queued(), 1, "one check queued, however often it was asked");
    assert_eq!(checks.load(Ordering::Relaxed), 0);

    gate.open();
    t.settle().await;
    assert_eq!(checks.load(Ordering::Relaxed), 1, "the queued check ran once");
    let report = system.health().await;
    assert!(report.is_healthy(), "{report}");
    assert_eq!(checks.load(Ordering::Relaxed), 2);
}

#[tokio::test]
async fn a_check_waiting_behind_a_full_mailbox_is_neither_refused_nor_evicting() {
    let t = TestSystem::new();
    let system = t.system();
    let tight = system.spawn_with(
        || Service::new(Health::healthy()),
        SpawnOptions::new().mailbox(1).overflow(phyx::Overflow::DropOldest),
    );
    let gate = Gate::new();
    tight.block(gate.clone()).send().unwrap();
    gate.entered().await;
    tight.set(Health::degraded("set while full")).send().unwrap();
    assert_eq!(tight.queued(), 1, "the mailbox is full");

    let checking = tokio::spawn({
        let system = system.clone();
        async move { system.health().timeout(10 * SECOND).await }
    });
    t.advance(SECOND).await;
    assert_eq!(tight.queued(), 2, "the check went past the capacity");
    gate.open();
    let report = checking.await.unwrap();
    assert_eq!(t.elapsed(), SECOND, "answered once the handler returned");
    // Handled after the message queued before it, which is still there.
    assert_eq!(report.get(tight.id()).unwrap().why().as_deref(), Some("set while full"));
    t.events().assert_none("a dropped message", |kind| {
        matches!(kind, EventKind::MessageDropped { .. })
    });
}

#[tokio::test]
async fn a_process_without_a_check_is_healthy_while_it_runs() {
    let t = TestSystem::new();
    let system = t.system();
    let plain = system.spawn(Plain::default);

    // Not started yet: its task has not run.
    let report = system.health().await;
    assert_eq!(report.get(plain.id()).unwrap().health(), &Health::degraded("starting"));

    t.settle().await;
    let report = system.health().await;
    let plain_entry = report.get(plain.id()).unwrap();
    assert_eq!(plain_entry.health(), &Health::healthy());
    assert!(!plain_entry.has_check());
    assert_eq!(plain_entry.lifecycle(), Status::Running);
    assert_eq!(plain_entry.kind(), ProcessKind::Process);
    assert_eq!(
        plain_entry.to_string(),
        format!("Plain#{} process: healthy (no check)", plain.id().get())
    );
}

#[tokio::test]
async fn a_process_with_a_check_is_asked_while_it_starts_and_answers_once_started() {
    struct Slow;

    #[process]
    impl Slow {
        #[on_start]
        async fn start(&mut self, ctx: &mut Ctx<Self>) {
            ctx.sleep(2 * SECOND).await;
        }

        #[public]
        fn ping(&self) {}

        #[health_check]
        fn health(&self) -> Health {
            Health::healthy().with_detail("started")
        }
    }

    let t = TestSystem::new();
    let system = t.system();
    let slow = system.spawn(|| Slow);
    let report = system.health().await;
    assert_eq!(
        report.get(slow.id()).unwrap().why().as_deref(),
        Some("did not answer within 1s")
    );
    let report = system.health().timeout(3 * SECOND).await;
    assert_eq!(t.elapsed(), 2 * SECOND, "answered as soon as it started");
    assert_eq!(report.get(slow.id()).unwrap().health().detail(), Some("started"));
}

struct Shop;

#[supervisor]
impl Shop {
    #[child]
    fn db(&self) -> Service {
        Service::new(Health::healthy())
    }

    #[child]
    fn cache(&self) -> Service {
        Service::new(Health::healthy())
    }

    #[child]
    fn till(&self) -> Plain {
        Plain
    }
}

struct Mall;

#[supervisor]
impl Mall {
    #[child]
    fn shop(&self) -> Shop {
        Shop
    }
}

#[tokio::test]
async fn a_supervisor_is_as_healthy_as_its_least_healthy_child() {
    let t = TestSystem::new();
    let system = t.system();
    let mall = system.spawn(|| Mall);
    t.settle().await;

    let report = system.health().await;
    assert!(report.is_healthy(), "{report}");
    let names: Vec<(&str, usize)> = report.iter().map(|entry| (entry.name(), entry.depth())).collect();
    assert_eq!(names, [("Mall", 0), ("shop", 1), ("db", 2), ("cache", 2), ("till", 2)]);

    mall.shop().cache().set(Health::degraded("cold cache")).await.unwrap();
    let report = system.health().await;
    let mall_entry = entry(&report, "Mall");
    assert_eq!(mall_entry.kind(), ProcessKind::Supervisor);
    assert_eq!(
        mall_entry.health(),
        &Health::healthy(),
        "a supervisor has no check of its own"
    );
    assert!(!mall_entry.has_check());
    assert_eq!(mall_entry.status(), HealthStatus::Degraded);
    assert_eq!(mall_entry.why().as_deref(), Some("shop: cache: cold cache"));
    assert_eq!(report.status(), HealthStatus::Degraded);

    mall.shop().db().set(Health::unhealthy("no connection")).await.unwrap();
    let report = system.health().await;
    assert_eq!(entry(&report, "shop").why().as_deref(), Some("db: no connection"));
    assert_eq!(
        entry(&report, "Mall").to_string(),
        format!(
            "Mall#{} supervisor: healthy (no check); unhealthy below",
            mall.id().get()
        )
    );
}

#[tokio::test]
async fn a_pool_is_as_healthy_as_its_members_and_its_router_is_not_asked() {
    let t = TestSystem::new();
    let system = t.system();
    let checks = Arc::new(AtomicU32::new(0));
    let pool: ServiceRef = system.pool(3, {
        let checks = checks.clone();
        move || Service::counted(Health::healthy(), &checks)
    });
    t.settle().await;

    let report = system.health().await;
    assert!(report.is_healthy(), "{report}");
    assert_eq!(
        checks.load(Ordering::Relaxed),
        3,
        "each member once, the router not at all"
    );
    let pool_entry = report.get(pool.id()).unwrap();
    assert_eq!(pool_entry.kind(), ProcessKind::Pool);
    assert!(!pool_entry.has_check(), "the router is not asked");
    assert_eq!(pool_entry.children().len(), 3);
    assert!(pool_entry.children().iter().all(ProcessHealth::has_check));
}

#[tokio::test]
async fn a_process_in_its_backoff_is_degraded_and_not_asked() {
    let t = TestSystem::new();
    let system = t.system();
    let checks = Arc::new(AtomicU32::new(0));
    let flaky = system.spawn_with(
        {
            let checks = checks.clone();
            move || Service::counted(Health::healthy(), &checks)
        },
        SpawnOptions::new().backoff(Backoff::exponential(10 * SECOND, 10 * SECOND)),
    );
    flaky.crash().await.unwrap_err();
    t.settle().await;
    assert_eq!(flaky.status(), Status::Restarting);

    let report = system.health().await;
    assert_eq!(t.elapsed(), Duration::ZERO, "nothing to wait for");
    let flaky_entry = report.get(flaky.id()).unwrap();
    assert_eq!(flaky_entry.status(), HealthStatus::Degraded);
    assert_eq!(flaky_entry.lifecycle(), Status::Restarting);
    assert_eq!(checks.load(Ordering::Relaxed), 0);
    assert_eq!(flaky.queued(), 0, "no check left queued for the next instance");

    t.advance(10 * SECOND).await;
    assert!(system.health().await.is_healthy());
    assert_eq!(checks.load(Ordering::Relaxed), 1);
}

#[tokio::test]
async fn checks_run_at_once_not_one_after_another() {
    struct Slow;

    #[process]
    impl Slow {
        #[public]
        fn ping(&self) {}

        #[health_check]
        async fn health(&self, ctx: &mut Ctx<Self>) -> Health {
            ctx.sleep(Duration::from_millis(500)).await;
            Health::healthy().with_detail(ctx.name().to_owned())
        }
    }

    let t = TestSystem::new();
    let system = t.system();
    for n in 0..100 {
        system.spawn_with(|| Slow, SpawnOptions::new().name(&format!("slow-{n}")));
    }
    t.settle().await;

    let report = system.health().await;
    assert_eq!(
        t.elapsed(),
        Duration::from_millis(500),
        "100 checks of 500ms each, at once"
    );
    assert!(report.is_healthy(), "{report}");
    assert_eq!(report.iter().count(), 100);
    assert_eq!(entry(&report, "slow-42").health().detail(), Some("slow-42"));
}

/// Asks for the system's health from its own handler.
struct Inspector {
    system: System,
}

#[process]
impl Inspector {
    #[public]
    async fn inspect(&self) -> String {
        self.system.health().await.to_string()
    }

    #[health_check]
    fn health(&self) -> Health {
        Health::degraded("never asked here")
    }
}

#[tokio::test]
async fn a_process_asking_for_the_report_is_not_kept_waiting_for_itself() {
    let t = TestSystem::new();
    let system = t.system().clone();
    let inspector = t.system().spawn(move || Inspector { system: system.clone() });
    let report = inspector.inspect().await.unwrap();
    assert_eq!(t.elapsed(), Duration::ZERO);
    assert_eq!(
        report,
        format!(
            "healthy\n  Inspector#{} process: healthy: not checked: this process is the one asking for the report",
            inspector.id().get()
        )
    );
}

#[tokio::test]
async fn health_during_and_after_shutdown_answers_unhealthy_without_hanging() {
    /// A stop hook that takes its time.
    struct Lingering;

    #[process(shutdown = "3s")]
    impl Lingering {
        #[public]
        fn ping(&self) {}

        #[on_stop]
        async fn stop(&mut self, ctx: &mut Ctx<Self>) {
            ctx.sleep(2 * SECOND).await;
        }

        #[health_check]
        fn health(&self) -> Health {
            Health::healthy()
        }
    }

    let t = TestSystem::new();
    let system = t.system().clone();
    let first = system.spawn(|| Lingering);
    let stopped_alone = system.spawn(|| Lingering);
    let last = system.spawn(|| Lingering);
    t.settle().await;
    assert!(system.health().await.is_healthy());

    // Stopping on its own: its stop hook runs for 2s.
    let stopping = tokio::spawn(Handle::stop(&stopped_alone));
    t.advance(SECOND).await;
    let report = system.health().await;
    assert_eq!(
        report.get(stopped_alone.id()).unwrap().health(),
        &Health::unhealthy("stopping")
    );
    assert_eq!(report.status(), HealthStatus::Unhealthy);
    assert_eq!(t.elapsed(), SECOND, "a stopping process is not asked");
    stopping.await.unwrap();
    assert!(
        system.health().await.is_healthy(),
        "a process stopped for good is not in the report"
    );

    // The shutdown stops the last started first; the others run meanwhile.
    let shutdown = tokio::spawn({
        let system = system.clone();
        async move { system.shutdown().await }
    });
    t.advance(SECOND).await;
    let report = system.health().await;
    assert!(report.is_shutting_down());
    assert_eq!(report.status(), HealthStatus::Unhealthy);
    assert!(report.get(first.id()).unwrap().health().is_healthy(), "{report}");
    assert!(report.get(last.id()).is_none(), "{report}");
    assert_eq!(t.elapsed(), 3 * SECOND);
    assert!(
        report
            .to_string()
            .starts_with("unhealthy: the system is shutting down\n"),
        "{report}"
    );

    shutdown.await.unwrap();
    let report = system.health().await;
    assert_eq!(report.status(), HealthStatus::Unhealthy);
    assert_eq!(report.processes(), []);
    assert_eq!(report.to_string(), "unhealthy: the system is shutting down");
    assert_eq!(t.elapsed(), 6 * SECOND, "two stop hooks of 2s, one after the other");
}
