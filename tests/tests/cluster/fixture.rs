//! A nats-server per test (the test kit's, on a free loopback port), and
//! nodes on it.

use std::time::Duration;

use phyx::System;
use phyx_testkit::nats::NatsServer;

/// The detection time of the tests' nodes: short, so that a node's loss
/// is seen quickly, and long enough for a loaded machine's probes.
pub(crate) const DETECTION: Duration = Duration::from_millis(900);

/// A server for this test; `None` (and a loud line on stderr saying how
/// to enable it) where no nats-server is installed.
pub(crate) fn server() -> Option<NatsServer> {
    NatsServer::start()
}

/// A node named `name` on `server`.
pub(crate) async fn node(server: &NatsServer, name: &str) -> System {
    System::builder()
        .node(name)
        .cluster(server.url())
        .detection(DETECTION)
        .connect()
        .await
        .unwrap_or_else(|error| panic!("node `{name}` did not join: {error}"))
}
