//! Health checks served as JSON on a loopback HTTP endpoint: a shop of
//! three processes under a supervisor, one of them degraded, and
//! `GET /health` answering `system.health()` (200 while healthy or
//! degraded, 503 when unhealthy, as a load balancer expects).
//!
//! `cargo run --example health` prints the report's JSON once and exits.
//! `cargo run --example health -- serve` serves it: then
//! `curl http://127.0.0.1:<port>/health`, for five minutes, or until it
//! has answered as many requests as a number argument says
//! (`cargo run --example health -- 3`).

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use phyx::health::{HealthReport, HealthStatus, ProcessHealth};
use phyx::prelude::*;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::task::JoinSet;

/// Stock; degraded when it runs out.
pub struct Inventory {
    items: u32,
}

#[process]
impl Inventory {
    #[public]
    pub fn take(&mut self) -> bool {
        let taken = self.items > 0;
        self.items = self.items.saturating_sub(u32::from(taken));
        taken
    }

    #[health_check]
    fn health(&self) -> Health {
        match self.items {
            0 => Health::degraded("out of stock"),
            n => Health::healthy().with_detail(format!("{n} items")),
        }
    }
}

/// Takes payments; a run of declines from the card network makes it
/// degraded, then unhealthy.
pub struct Payments {
    declines_in_a_row: u32,
}

#[process]
impl Payments {
    /// The card network declined a payment.
    #[public]
    pub fn declined(&mut self) {
        self.declines_in_a_row += 1;
    }

    /// The card network took a payment.
    #[public]
    pub fn approved(&mut self) {
        self.declines_in_a_row = 0;
    }

    #[health_check]
    fn health(&self) -> Health {
        match self.declines_in_a_row {
            0 => Health::healthy(),
            n @ 1..=2 => Health::degraded(format!("{n} declines in a row")),
            n => Health::unhealthy(format!("{n} declines in a row: the card network is down")),
        }
    }
}

/// Sends mail; it has no health check, so it is healthy while it runs.
pub struct Mailer;

#[process]
impl Mailer {
    #[public]
    pub fn send(&self, to: String) -> String {
        format!("mailed {to}")
    }
}

pub struct Shop;

#[supervisor]
impl Shop {
    #[child]
    pub fn inventory(&self) -> Inventory {
        Inventory { items: 3 }
    }

    /// Starts with two declines behind it: degraded.
    #[child]
    pub fn payments(&self) -> Payments {
        Payments { declines_in_a_row: 2 }
    }

    #[child]
    pub fn mailer(&self) -> Mailer {
        Mailer
    }
}

/// The shop, started on `system`.
pub fn start(system: &System) -> ShopRef {
    system.spawn(|| Shop)
}

/// A report as JSON, from its public accessors.
pub fn json(report: &HealthReport) -> Value {
    json!({
        "status": report.status().as_str(),
        "shutting_down": report.is_shutting_down(),
        "processes": report.processes().iter().map(process_json).collect::<Vec<_>>(),
    })
}

fn process_json(process: &ProcessHealth) -> Value {
    json!({
        "id": process.id().get(),
        "name": process.name(),
        "kind": process.kind().to_string(),
        "status": process.status().as_str(),
        "why": process.why(),
        "check": process.has_check(),
        "health": process.health().status().as_str(),
        "detail": process.health().detail(),
        "children": process.children().iter().map(process_json).collect::<Vec<_>>(),
    })
}

/// Answers one request: `GET /health`, or a 404 or 405.
async fn answer(system: System, request: Request<Incoming>) -> Response<Full<Bytes>> {
    if request.uri().path() != "/health" {
        return plain(StatusCode::NOT_FOUND, "not found: ask GET /health\n");
    }
    if request.method() != Method::GET {
        return plain(StatusCode::METHOD_NOT_ALLOWED, "GET /health only\n");
    }
    let report = system.health().timeout(Duration::from_millis(500)).await;
    let status = match report.status() {
        HealthStatus::Unhealthy => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::OK,
    };
    let mut response = Response::new(Full::new(Bytes::from(json(&report).to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        "application/json".parse().expect("a header value"),
    );
    response
}

fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *response.status_mut() = status;
    response
}

/// Serves `GET /health` on `listener` until it has answered `requests`
/// requests, one per connection; then waits for the connections still
/// open to finish.
///
/// # Errors
///
/// If accepting a connection fails.
pub async fn run(system: &System, listener: TcpListener, requests: usize) -> std::io::Result<()> {
    let answered = Arc::new(AtomicUsize::new(0));
    let enough = Arc::new(Notify::new());
    let mut connections = JoinSet::new();
    while answered.load(Ordering::Acquire) < requests {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => accepted?,
            () = enough.notified() => break,
        };
        let (system, answered, enough) = (system.clone(), answered.clone(), enough.clone());
        let service = hyper::service::service_fn(move |request| {
            let (system, answered, enough) = (system.clone(), answered.clone(), enough.clone());
            async move {
                let response = answer(system, request).await;
                if answered.fetch_add(1, Ordering::AcqRel) + 1 >= requests {
                    enough.notify_one();
                }
                Ok::<_, Infallible>(response)
            }
        });
        connections.spawn(async move {
            let served = hyper::server::conn::http1::Builder::new()
                .keep_alive(false)
                .serve_connection(TokioIo::new(stream), service)
                .await;
            if let Err(error) = served {
                eprintln!("a connection failed: {error}");
            }
        });
    }
    // One request per connection: each ends once its response is out.
    while connections.join_next().await.is_some() {}
    Ok(())
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let requests = match std::env::args().nth(1).as_deref() {
        None => None,
        Some("serve") => Some(usize::MAX),
        Some(count) => Some(count.parse().map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "the argument is `serve` or a number of requests",
            )
        })?),
    };
    let system = System::new();
    let shop = start(&system);
    shop.inventory().take().await.expect("the inventory answers");
    shop.mailer()
        .send("ada@example.com".into())
        .await
        .expect("the mailer answers");
    let Some(requests) = requests else {
        // Run as every example is, on its own: the report once, no server.
        println!("{:#}", json(&system.health().await));
        println!("(run with `-- serve` to serve it on GET /health)");
        system.shutdown().await;
        return Ok(());
    };
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    println!("serving http://{}/health", listener.local_addr()?);
    match tokio::time::timeout(Duration::from_secs(300), run(&system, listener, requests)).await {
        Ok(served) => served?,
        Err(_) => println!("served for five minutes; stopping"),
    }
    system.shutdown().await;
    Ok(())
}
