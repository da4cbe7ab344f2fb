//! Lifecycle events reach `system.events()`, event sinks and `tracing`.

use phyx::prelude::*;
use phyx::{StopReason, event::EventKind};
use phyx_tests::{Counter, EventLog};

#[tokio::test(start_paused = true)]
async fn the_event_stream_tells_a_process_life_in_order() {
    let system = System::new();
    let mut events = system.events();
    let counter = system.spawn(Counter::default);
    counter.fail("boom".into()).await.unwrap_err();
    counter.get().await.unwrap();
    system.shutdown().await;

    let mut seen = Vec::new();
    while let Some(event) = events.recv().await {
        assert_eq!(event.process, counter.id());
        seen.push(event.to_string());
    }
    let id = counter.id();
    assert_eq!(
        seen,
        [
            format!("Counter{id}: spawned"),
            format!("Counter{id}: started"),
            format!("Counter{id}: panicked in `fail`: boom"),
            format!("Counter{id}: restart #1 in 100ms"),
            format!("Counter{id}: started"),
            format!("Counter{id}: stopped (shutdown)"),
        ]
    );
    assert_eq!(events.missed(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_stream_keeps_receiving_when_another_is_dropped_and_a_new_one_sees_what_follows() {
    let system = System::new();
    let (first, mut second) = (system.events(), system.events());
    drop(first);
    let counter = system.spawn(Counter::default);
    counter.get().await.unwrap();
    let mut third = system.events();
    system.shutdown().await;

    let id = counter.id();
    let mut seen = Vec::new();
    while let Some(event) = second.recv().await {
        seen.push(event.to_string());
    }
    assert_eq!(seen.first(), Some(&format!("Counter{id}: spawned")));
    assert_eq!(seen.last(), Some(&format!("Counter{id}: stopped (shutdown)")));
    let mut later = Vec::new();
    while let Some(event) = third.recv().await {
        later.push(event.to_string());
    }
    assert_eq!(later, [format!("Counter{id}: stopped (shutdown)")]);
}

#[tokio::test(start_paused = true)]
async fn sinks_see_every_event_with_its_time() {
    let (system, log) = EventLog::system();
    let start = system.now();
    let counter = system.spawn(Counter::default);
    counter.fail("boom".into()).await.unwrap_err();
    counter.get().await.unwrap();
    let events = log.all();
    let restarted = events
        .iter()
        .rposition(|e| matches!(e.kind, EventKind::Started))
        .unwrap();
    assert_eq!(events[restarted].at - start, std::time::Duration::from_millis(100));
    system.shutdown().await;
    assert_eq!(log.stop_reasons_of("Counter"), [StopReason::Shutdown]);
}

#[tokio::test]
async fn handlers_emit_their_own_events() {
    #[derive(Debug, PartialEq)]
    struct OrderPlaced {
        id: u32,
    }
    struct Shop;
    #[process]
    impl Shop {
        #[public]
        fn order(&self, ctx: &mut Ctx<Self>, id: u32) {
            ctx.emit(OrderPlaced { id });
        }
    }

    let (system, log) = EventLog::system();
    let shop = system.spawn(|| Shop);
    shop.order(7).await.unwrap();
    let custom: Vec<_> = log
        .kinds_of("Shop")
        .into_iter()
        .filter_map(|kind| match kind {
            EventKind::Custom(custom) => Some(custom),
            _ => None,
        })
        .collect();
    assert_eq!(custom.len(), 1);
    assert_eq!(custom[0].downcast_ref::<OrderPlaced>(), Some(&OrderPlaced { id: 7 }));
    assert_eq!(format!("{:?}", custom[0]), "OrderPlaced { id: 7 }");
    system.shutdown().await;
}
