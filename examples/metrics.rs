//! Metrics through the `metrics` facade (phyx's `metrics` feature),
//! exported as Prometheus text by `metrics-exporter-prometheus`: messages
//! handled and handler time per process and method, mailbox depth,
//! restarts, panics and breaker transitions.
//!
//! Run with `cargo run --example metrics`.

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use phyx::prelude::*;

/// Looks up prices; `sku` 0 crashes it, and an unknown `sku` is an `Err`
/// that its breaker counts.
#[derive(Default)]
pub struct Prices;

#[process]
impl Prices {
    #[public]
    pub fn price(&self, sku: u32) -> u32 {
        assert!(sku != 0, "sku 0 is not a product");
        sku * 100
    }

    #[public]
    #[circuit_breaker(failures = 2, cooldown = "1s")]
    pub fn discount(&self, sku: u32) -> Result<u32, String> {
        if sku > 10 {
            Err(format!("no discount for {sku}"))
        } else {
            Ok(sku)
        }
    }
}

/// Installs the Prometheus recorder for the whole program; `None` if a
/// recorder was installed already.
pub fn install() -> Option<PrometheusHandle> {
    PrometheusBuilder::new().install_recorder().ok()
}

/// Some traffic: asks, a crash and its restart, a breaker that opens.
pub async fn run(system: &System) {
    let prices = system.spawn(Prices::default);
    for sku in 1..=5 {
        prices.price(sku).await.expect("a price");
    }
    let _ = prices.price(0).await; // a panic, then a restart
    prices.price(6).await.expect("a price, after the restart");
    for sku in [11, 12, 13] {
        let _ = prices.discount(sku).await; // two failures open the breaker
    }
}

#[tokio::main]
async fn main() {
    phyx::hide_caught_panics();
    let prometheus = install().expect("the first recorder of this program");
    let system = System::new();
    run(&system).await;
    system.shutdown().await;
    // Only phyx's series, in a stable order.
    let mut lines: Vec<_> = prometheus
        .render()
        .lines()
        .filter(|line| line.starts_with("phyx_"))
        .map(str::to_owned)
        .collect();
    lines.sort();
    for line in lines {
        println!("{line}");
    }
}
