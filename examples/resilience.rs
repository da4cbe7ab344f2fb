//! A service behind a circuit breaker and a rate limit, both checked at
//! the caller on the system's clock.
//!
//! `forecast` depends on an upstream that fails its first four requests:
//! three failures in a row open the breaker, calls then fail fast, and
//! after the cooldown one trial call decides (the first trial fails and
//! reopens it; the second succeeds and closes it). `temperature` allows 5
//! calls a second, 2 at once: the third call in a burst is refused with
//! the time to wait.
//!
//! Run with `cargo run --example resilience`.

use std::time::Duration;

use phyx::event::{CircuitState, EventKind};
use phyx::prelude::*;
use phyx::{CallError, Failed};

pub struct Weather {
    upstream_failures_left: u32,
}

#[process]
impl Weather {
    #[public]
    #[circuit_breaker(failures = 3, cooldown = "200ms")]
    pub fn forecast(&mut self, city: String) -> Result<String, String> {
        if self.upstream_failures_left > 0 {
            self.upstream_failures_left -= 1;
            return Err(format!("upstream timed out on {city}"));
        }
        Ok(format!("{city}: sunny"))
    }

    #[public]
    #[rate_limit(per_second = 5, burst = 2)]
    pub fn temperature(&self, city: String) -> String {
        format!("{city}: 21°C")
    }
}

/// How a call ended: `ok`, `failed` (an `Err` reply), or the error that
/// refused it.
fn outcome<T: std::fmt::Debug>(call: &str, result: &Result<T, Failed<String>>) -> &'static str {
    match result {
        Ok(value) => println!("{call}: {value:?}"),
        Err(Failed::Handler(error)) => println!("{call}: failed, {error}"),
        Err(Failed::Call(error)) => println!("{call}: {error}"),
    }
    match result {
        Ok(_) => "ok",
        Err(Failed::Handler(_)) => "failed",
        Err(Failed::Call(CallError::CircuitOpen { .. })) => "circuit open",
        Err(Failed::Call(CallError::RateLimited { .. })) => "rate limited",
        Err(Failed::Call(_)) => "error",
    }
}

/// When a refused call may be retried.
fn retry_after(result: &Result<impl Sized, Failed<String>>) -> Duration {
    match result {
        Err(Failed::Call(CallError::CircuitOpen { retry_after, .. } | CallError::RateLimited { retry_after, .. })) => {
            *retry_after
        }
        _ => Duration::ZERO,
    }
}

#[derive(Debug)]
pub struct Summary {
    pub temperature: Vec<&'static str>,
    pub forecast: Vec<&'static str>,
    /// The breaker's transitions, from the system's events.
    pub circuit: Vec<CircuitState>,
}

pub async fn run(system: &System) -> Summary {
    let mut events = system.events();
    let weather: WeatherRef = system.spawn(|| Weather {
        upstream_failures_left: 4,
    });
    let clock = system.clock();

    let mut temperature = Vec::new();
    for _ in 0..3 {
        let result = weather.temperature("Oslo".into()).await.map_err(Failed::Call);
        temperature.push(outcome("temperature", &result));
        clock.sleep(retry_after(&result)).await; // wait as told, if refused
    }
    let result = weather.temperature("Oslo".into()).await.map_err(Failed::Call);
    temperature.push(outcome("temperature", &result));

    let mut forecast = Vec::new();
    for _ in 0..8 {
        // One error for both ways a call fails: `Err` from the handler, or
        // no reply at all.
        let result = weather.forecast("Lima".into()).flatten().await;
        forecast.push(outcome("forecast", &result));
        if matches!(result, Err(Failed::Call(_))) {
            clock.sleep(retry_after(&result)).await; // the breaker's cooldown
        }
    }

    let mut circuit = Vec::new();
    while let Some(event) = events.try_recv() {
        if let EventKind::Circuit { state, .. } = event.kind {
            println!("event: {event}");
            circuit.push(state);
        }
    }
    Summary {
        temperature,
        forecast,
        circuit,
    }
}

#[tokio::main]
async fn main() {
    let system = System::new();
    run(&system).await;
    system.shutdown().await;
}
