//! A view of the running system: every live process, where it sits in the
//! supervision tree, and how it is doing (mailbox depth, restarts, uptime).
//!
//! Run with `cargo run --example system_view`.

use std::time::Duration;

use phyx::ProcessInfo;
use phyx::prelude::*;

/// Answers lookups; one of them crashes it.
#[derive(Default)]
pub struct Catalog {
    lookups: u32,
}

#[process]
impl Catalog {
    #[public]
    pub fn lookup(&mut self, sku: u32) -> String {
        self.lookups += 1;
        assert!(sku != 0, "sku 0 is not a product");
        format!("product {sku}")
    }
}

/// Resizes images, in a pool.
pub struct Resizer;

#[process]
impl Resizer {
    #[public]
    pub fn resize(&self, pixels: u32) -> u32 {
        pixels / 2
    }
}

pub struct Storefront;

#[supervisor(strategy = one_for_one)]
impl Storefront {
    #[child(backoff(initial = "10ms"))]
    fn catalog(&self) -> Catalog {
        Catalog::default()
    }
}

/// The tree, one line per process, each indented under its parent.
pub fn tree(processes: &[ProcessInfo]) -> Vec<String> {
    processes
        .iter()
        .map(|process| format!("{:indent$}{process}", "", indent = 2 * process.depth))
        .collect()
}

pub async fn run(system: &System) -> Vec<String> {
    let storefront = system.spawn(|| Storefront);
    let resizers: ResizerRef = system.pool(2, || Resizer);
    let catalog = storefront.catalog();
    catalog.lookup(7).await.expect("a product");
    // A crash: the catalog restarts after its backoff, and says so.
    let _ = catalog.lookup(0).await;
    system.clock().sleep(Duration::from_millis(50)).await;
    resizers.resize(1024).await.expect("a resize");

    let lines = tree(&system.processes());
    for line in &lines {
        println!("{line}");
    }
    lines
}

#[tokio::main]
async fn main() {
    // The catalog crashes on purpose: keep that panic off stderr.
    phyx::hide_caught_panics();
    let system = System::new();
    run(&system).await;
    system.shutdown().await;
}
