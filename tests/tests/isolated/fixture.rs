//! A nats-server and a parent node per test, the child program, and the
//! bound on every wait.

use std::future::IntoFuture;
use std::time::Duration;

use phyx::System;
use phyx::isolated::Isolation;
use phyx_testkit::nats::NatsServer;

/// The most any one step may take before the test calls it hung: far
/// above what it takes (a child starts in tens of milliseconds, a CPU
/// limit of a second takes a second), on a loaded machine too. Never a
/// measure of speed.
pub(crate) const HUNG: Duration = Duration::from_secs(60);

/// `future`, or a panic saying that `what` hung.
pub(crate) async fn within<F: IntoFuture>(what: &str, future: F) -> F::Output {
    tokio::time::timeout(HUNG, future.into_future())
        .await
        .unwrap_or_else(|_| panic!("hung: {what}"))
}

/// A server for this test; `None` (and a loud line on stderr) without one.
pub(crate) fn server() -> Option<NatsServer> {
    NatsServer::start()
}

/// The parent: a node on `server`.
pub(crate) async fn parent(server: &NatsServer) -> System {
    let connecting = System::builder()
        .node("parent")
        .cluster(server.url())
        .detection(Duration::from_millis(900))
        .connect();
    within("joining the cluster", connecting)
        .await
        .unwrap_or_else(|error| panic!("the parent did not join: {error}"))
}

/// The child program: the `isolated-node` binary (a test's own binary is
/// libtest's, whose `main` cannot call `serve_if_child`).
pub(crate) fn child() -> Isolation {
    Isolation::new().program(env!("CARGO_BIN_EXE_isolated-node"))
}

/// Whether OS process `pid` is gone: no such process, or a zombie that
/// nobody reaped yet (it runs nothing).
pub(crate) fn is_gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        // `pid (name) state ...`: the state follows the name's `)`.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with(['Z', 'X'])),
    }
}

/// Waits until OS process `pid` is gone.
pub(crate) async fn gone(pid: u32) {
    within(&format!("OS process {pid} to go"), async {
        while !is_gone(pid) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
}
