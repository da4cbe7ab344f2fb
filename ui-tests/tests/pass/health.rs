//! Health checks in every supported shape: sync or async, with or without
//! ctx, on a generic process and on a remote one, beside an `#[on_down]`
//! hook; and `system.health()` over all of them.

use std::time::Duration;

use phyx::health::{HealthReport, HealthStatus};
use phyx::prelude::*;

pub struct Plain {
    up: bool,
}

#[process]
impl Plain {
    #[public]
    pub fn set(&mut self, up: bool) {
        self.up = up;
    }

    /// Doc comments are fine on a check.
    #[health_check]
    fn health(&self) -> Health {
        if self.up { Health::healthy() } else { Health::unhealthy("down") }
    }
}

pub struct Async;

#[process]
impl Async {
    #[public]
    pub fn ping(&self) {}

    #[health_check]
    async fn check(&self, ctx: &mut Ctx<Self>) -> Health {
        ctx.sleep(Duration::from_millis(1)).await;
        Health::healthy().with_detail(ctx.name().to_owned())
    }
}

/// The context anywhere, a renamed import of the marker, a path to the
/// `Health` type, and a check but no `#[public]` method at all.
pub struct Odd;

#[process]
impl Odd {
    #[phyx::health_check]
    fn check(&self, _ctx: &mut phyx::Ctx<Self>) -> phyx::health::Health {
        phyx::health::Health::degraded("odd")
    }
}

pub struct Generic<T> {
    items: Vec<T>,
}

#[process]
impl<T: Clone + Sync> Generic<T> {
    #[public]
    pub fn push(&mut self, item: T) {
        self.items.push(item);
    }

    #[health_check]
    async fn health(&self) -> Health {
        match self.items.len() {
            0 => Health::degraded("empty"),
            _ => Health::healthy(),
        }
    }
}

#[derive(Default)]
pub struct Remote {
    count: u64,
}

#[process(remote)]
impl Remote {
    #[public]
    pub fn add(&mut self, by: u64) -> u64 {
        self.count += by;
        self.count
    }

    #[health_check]
    fn health(&self) -> Health {
        Health::healthy()
    }

    #[on_down]
    fn down(&mut self, _down: Down) {}
}

/// What a report offers, by type.
fn summary(report: &HealthReport) -> Vec<(String, HealthStatus, Option<String>)> {
    report
        .iter()
        .map(|process| (process.name().to_owned(), process.status(), process.why()))
        .collect()
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let system = System::new();
    system.spawn(|| Plain { up: true });
    system.spawn(|| Async);
    system.spawn(|| Odd);
    let generic = system.spawn(|| Generic::<String> { items: Vec::new() });
    generic.push("one".to_owned()).await.unwrap();
    let remote = system.spawn(Remote::default);
    remote.add(1).await.unwrap();
    let report = system.health().timeout(Duration::from_secs(1)).await;
    assert_eq!(report.status(), HealthStatus::Degraded, "{report}");
    assert_eq!(summary(&report).len(), 5);
    system.shutdown().await;
}
