//! The health check of an isolated process runs in its child OS process,
//! through the same mailbox and the same one-message-at-a-time forwarding
//! as its calls.

use std::time::Duration;

use phyx::health::HealthStatus;
use phyx::prelude::*;
use phyx_tests::isolated::{Cruncher, CruncherRef};

use crate::fixture::{child, parent, server, within};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_check_runs_in_the_child_and_a_busy_child_does_not_answer() {
    let Some(server) = server() else { return };
    let system = parent(&server).await;
    let cruncher: CruncherRef = system.spawn_isolated::<Cruncher>(child());
    let (_, pid) = within("a call", cruncher.call()).await.unwrap();
    assert_ne!(pid, std::process::id());

    let report = within("the report", system.health().timeout(Duration::from_secs(30))).await;
    let entry = report.get(cruncher.id()).unwrap();
    assert_eq!(
        entry.health(),
        &Health::healthy().with_detail(format!("pid {pid}")),
        "{report}"
    );

    // Busy in the child for 3s of real time: the check waits behind it.
    let spinning = tokio::spawn(cruncher.spin(3000).into_future());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let report = within("the report", system.health().timeout(Duration::from_millis(500))).await;
    let entry = report.get(cruncher.id()).unwrap();
    assert_eq!(entry.status(), HealthStatus::Unhealthy, "{report}");
    assert_eq!(entry.why().as_deref(), Some("did not answer within 500ms"));
    within("the spin", spinning).await.unwrap().unwrap();
    let report = within("the report", system.health().timeout(Duration::from_secs(30))).await;
    assert!(report.is_healthy(), "{report}");
    within("the shutdown", system.shutdown()).await;
}
