//! Names: `System::register`, `lookup` and `unregister`.

use std::time::Duration;

use phyx::prelude::*;
use phyx::{Backoff, LookupError, RegisterError, SpawnOptions, Status};
use phyx_testkit::TestSystem;
use phyx_tests::{Counter, CounterRef};

const SECOND: Duration = Duration::from_secs(1);

#[derive(Default)]
struct Greeter;

#[process]
impl Greeter {
    #[public]
    fn greet(&self) -> &'static str {
        "hello"
    }
}

#[tokio::test]
async fn a_registered_process_is_found_by_its_name() {
    let t = TestSystem::new();
    let system = t.system();
    let counter = system.spawn(Counter::default);
    system.register("counter", &counter).await.unwrap();
    let found: CounterRef = system.lookup("counter").await.unwrap();
    assert_eq!(found.id(), counter.id());
    assert_eq!(found.increment(2).await, Ok(2));
    assert_eq!(counter.get().await, Ok(2));
}

#[tokio::test]
async fn an_unknown_name_is_not_found() {
    let t = TestSystem::new();
    let error = t.system().lookup::<CounterRef>("nobody").await.unwrap_err();
    assert!(matches!(&error, LookupError::NotFound { name, .. } if &**name == "nobody"));
    assert_eq!(
        error.to_string(),
        "no process is registered as `nobody`; register it first, or check the spelling"
    );
}

#[tokio::test]
async fn a_lookup_with_the_wrong_handle_type_names_both_types() {
    let t = TestSystem::new();
    let system = t.system();
    let counter = system.spawn(Counter::default);
    system.register("counter", &counter).await.unwrap();
    let error = system.lookup::<GreeterRef>("counter").await.unwrap_err();
    let LookupError::WrongType {
        name,
        requested,
        registered,
        ..
    } = &error
    else {
        panic!("expected WrongType, got {error:?}");
    };
    assert_eq!(
        (&**name, &**requested, &**registered),
        ("counter", "GreeterRef", "CounterRef")
    );
    assert_eq!(
        error.to_string(),
        "process `counter` is a `CounterRef`, not a `GreeterRef`; look it up as `lookup::<CounterRef>`"
    );
}

#[tokio::test]
async fn a_taken_name_says_who_holds_it() {
    let t = TestSystem::new();
    let system = t.system();
    let first = system.spawn(Counter::default);
    let second = system.spawn(|| Greeter);
    system.register("main", &first).await.unwrap();
    let error = system.register("main", &second).await.unwrap_err();
    assert!(
        matches!(&error, RegisterError::Taken { holder, holder_name, .. } if *holder == first.id() && &**holder_name == "Counter"),
        "{error:?}"
    );
    assert!(error.to_string().contains("taken by process `Counter`"), "{error}");
    let found: CounterRef = system.lookup("main").await.unwrap();
    assert_eq!(found.id(), first.id(), "the holder keeps it");
}

#[tokio::test]
async fn a_process_has_one_name_and_registering_it_again_under_it_is_a_no_op() {
    let t = TestSystem::new();
    let system = t.system();
    let counter = system.spawn(Counter::default);
    system.register("one", &counter).await.unwrap();
    assert_eq!(system.register("one", &counter).await, Ok(()));
    let error = system.register("two", &counter).await.unwrap_err();
    assert!(
        matches!(&error, RegisterError::AlreadyNamed { existing, .. } if &**existing == "one"),
        "{error:?}"
    );
    assert!(matches!(
        system.lookup::<CounterRef>("two").await,
        Err(LookupError::NotFound { .. })
    ));
}

#[tokio::test]
async fn a_name_survives_restarts() {
    let t = TestSystem::new();
    let system = t.system();
    let counter = system.spawn(Counter::default);
    system.register("counter", &counter).await.unwrap();
    assert!(counter.fail("boom".into()).await.is_err());
    t.advance(SECOND).await;
    let found: CounterRef = system.lookup("counter").await.unwrap();
    assert_eq!(found.increment(1).await, Ok(1), "the new instance answers");
    assert_eq!(t.events().restarts_of("Counter").len(), 1);
}

#[tokio::test]
async fn a_name_is_released_at_a_stop_and_can_be_registered_again() {
    let t = TestSystem::new();
    let system = t.system();
    let counter = system.spawn(Counter::default);
    system.register("counter", &counter).await.unwrap();
    Handle::stop(&counter).await;
    assert!(matches!(
        system.lookup::<CounterRef>("counter").await,
        Err(LookupError::NotFound { .. })
    ));
    let next = system.spawn(Counter::default);
    system.register("counter", &next).await.unwrap();
    let found: CounterRef = system.lookup("counter").await.unwrap();
    assert_eq!(found.id(), next.id());
}

#[tokio::test]
async fn a_name_is_released_when_the_restart_limit_is_reached() {
    let t = TestSystem::new();
    let system = t.system();
    let options = SpawnOptions::new()
        .max_restarts(1, Duration::from_secs(60))
        .backoff(Backoff::none());
    let counter = system.spawn_with(Counter::default, options);
    system.register("counter", &counter).await.unwrap();
    assert!(counter.fail("first".into()).await.is_err());
    t.settle().await;
    assert!(system.lookup::<CounterRef>("counter").await.is_ok(), "restarted once");
    assert!(counter.fail("second".into()).await.is_err());
    t.settle().await;
    assert_eq!(counter.status(), Status::Stopped);
    assert!(matches!(
        system.lookup::<CounterRef>("counter").await,
        Err(LookupError::NotFound { .. })
    ));
}

#[derive(Clone)]
struct Team;

#[supervisor(max_restarts = 1, within = "1m")]
impl Team {
    #[child(backoff(initial = "1s"))]
    fn counter(&self) -> Counter {
        Counter::default()
    }
}

#[tokio::test]
async fn a_childs_name_is_released_when_its_supervisor_escalates() {
    let t = TestSystem::new();
    let system = t.system();
    let team = system.spawn(|| Team);
    let counter = team.counter();
    system.register("counter", &counter).await.unwrap();
    assert!(counter.fail("first".into()).await.is_err());
    t.advance(2 * SECOND).await;
    assert!(system.lookup::<CounterRef>("counter").await.is_ok(), "restarted once");
    assert!(counter.fail("second".into()).await.is_err());
    t.advance(2 * SECOND).await;
    assert_eq!(team.status(), Status::Stopped, "escalated with no parent");
    assert!(matches!(
        system.lookup::<CounterRef>("counter").await,
        Err(LookupError::NotFound { .. })
    ));
}

#[tokio::test]
async fn names_are_released_at_shutdown_and_a_stopped_process_cannot_be_named() {
    let t = TestSystem::new();
    let system = t.system();
    let counter = system.spawn(Counter::default);
    system.register("counter", &counter).await.unwrap();
    t.shutdown().await;
    assert!(matches!(
        system.lookup::<CounterRef>("counter").await,
        Err(LookupError::NotFound { .. })
    ));
    let error = system.register("counter", &counter).await.unwrap_err();
    assert!(matches!(error, RegisterError::Stopped { .. }), "{error:?}");
}

#[tokio::test]
async fn unregister_releases_the_name_and_the_old_holder_no_longer_touches_it() {
    let t = TestSystem::new();
    let system = t.system();
    let old = system.spawn(Counter::default);
    system.register("counter", &old).await.unwrap();
    assert!(system.unregister("counter").await);
    assert!(!system.unregister("counter").await, "once");
    assert!(system.lookup::<CounterRef>("counter").await.is_err());
    let new = system.spawn(Counter::default);
    system.register("counter", &new).await.unwrap();
    // The old holder's stop must not release its successor's name.
    Handle::stop(&old).await;
    let found: CounterRef = system.lookup("counter").await.unwrap();
    assert_eq!(found.id(), new.id());
    // A stopped process takes no name.
    assert!(matches!(
        system.register("old", &old).await,
        Err(RegisterError::Stopped { .. })
    ));
}

#[tokio::test]
async fn an_unregistered_process_may_take_another_name() {
    let t = TestSystem::new();
    let system = t.system();
    let counter = system.spawn(Counter::default);
    system.register("a", &counter).await.unwrap();
    system.unregister("a").await;
    system.register("b", &counter).await.unwrap();
    Handle::stop(&counter).await;
    assert!(system.lookup::<CounterRef>("b").await.is_err(), "released at its stop");
}
