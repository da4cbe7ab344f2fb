//! Nodes as separate OS processes (the `cluster-node` binary), killed for
//! real.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};

use phyx_testkit::nats::NatsServer;

use crate::fixture::DETECTION;

/// A node in its own OS process, serving a `Worker` registered as `name`.
pub(crate) struct NodeProcess {
    child: Child,
    stdin: Option<ChildStdin>,
}

impl NodeProcess {
    /// Starts node `node`, and waits until it has registered its worker
    /// as `name` (in a pool across nodes if `pool`).
    pub(crate) fn start(server: &NatsServer, node: &str, name: &str, pool: bool) -> Self {
        Self::start_with(
            Command::new(Self::BINARY),
            &server.url(),
            node,
            name,
            if pool { &["pool"] } else { &[] },
        )
    }

    /// Starts node `node` serving a durable `Journal` registered as
    /// `name`, which appends what it is told to `path` (and its
    /// redeliveries to `path` with the extension `events`).
    pub(crate) fn journal(server: &NatsServer, node: &str, name: &str, path: &std::path::Path) -> Self {
        let path = path.to_str().expect("a UTF-8 path");
        Self::start_with(
            Command::new(Self::BINARY),
            &server.url(),
            node,
            name,
            &["journal", path],
        )
    }

    /// Starts node `node` serving an event-sourced `Tally` registered (and
    /// named) `name`, whose journal is in the cluster's JetStream.
    pub(crate) fn tally(server: &NatsServer, node: &str, name: &str) -> Self {
        Self::start_with(Command::new(Self::BINARY), &server.url(), node, name, &["tally"])
    }

    /// The `cluster-node` binary, for a `command` of
    /// [`start_with`](Self::start_with) to run.
    pub(crate) const BINARY: &str = env!("CARGO_BIN_EXE_cluster-node");

    /// As [`start`](Self::start), on the server at `url`, with `command`
    /// running the binary (`ip netns exec <namespace> <binary>`, say) and
    /// `mode` after its arguments (`pool`, `journal <path>` or `tally`).
    pub(crate) fn start_with(mut command: Command, url: &str, node: &str, name: &str, mode: &[&str]) -> Self {
        command.args([url, node, name]).args(mode);
        let mut child = command
            .env("PHYX_DETECTION_MS", DETECTION.as_millis().to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the cluster-node binary starts");
        let stdout = child.stdout.take().expect("piped");
        let mut ready = String::new();
        BufReader::new(stdout)
            .read_line(&mut ready)
            .expect("the node writes a line");
        assert_eq!(ready.trim(), "ready", "node `{node}` did not start");
        let stdin = child.stdin.take();
        Self { child, stdin }
    }

    /// SIGKILL: the node dies at once, with no chance to say so.
    pub(crate) fn kill(&mut self) {
        self.child.kill().expect("the node can be killed");
        self.child.wait().expect("the killed node is reaped");
    }

    /// Asks the node to shut down cleanly, and waits until it has.
    pub(crate) fn exit(&mut self) {
        if let Some(mut stdin) = self.stdin.take() {
            writeln!(stdin, "exit").expect("the node reads its input");
        }
        let status = self.child.wait().expect("the node exits");
        assert!(status.success(), "the node exited with {status}");
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
