//! A connection-per-client server: one dynamic child per client.
//!
//! `Server` is a `#[supervisor]` with no `#[child]`ren: each client that
//! connects gets its own `Connection`, started at run time with
//! `server.start_child_with(...)`. A connection whose client sends a
//! malformed line crashes and restarts alone after its backoff; one whose
//! client says `bye` stops normally and, being transient, leaves the
//! server's list; the server's shutdown stops the rest, before the server.
//!
//! Run with `cargo run --example connection_server`.

use phyx::prelude::*;
use phyx::{Backoff, ChildError, Restart, SpawnOptions, StopReason};
use std::time::Duration;

/// One client's session: echoes lines, counting them.
pub struct Connection {
    client: u32,
    lines: u32,
}

#[process]
impl Connection {
    /// Handles one line from the client; returns the reply.
    #[public]
    pub fn line(&mut self, ctx: &mut Ctx<Self>, text: String) -> String {
        assert!(!text.is_empty(), "client {} sent an empty frame", self.client);
        self.lines += 1;
        if text == "bye" {
            ctx.stop();
            return format!("client {}: goodbye after {} lines", self.client, self.lines);
        }
        format!("client {}: echo {text} (line {})", self.client, self.lines)
    }
}

/// Accepts clients: one `Connection` each.
pub struct Server;

#[supervisor(max_restarts = 5, within = "10s")]
impl Server {}

/// Starts the connection of `client`: transient (a client that says `bye`
/// is done), restarted after 100 ms if it crashes.
pub fn accept(server: &ServerRef, client: u32) -> Result<ConnectionRef, ChildError> {
    let options = SpawnOptions::new()
        .name(&format!("client-{client}"))
        .restart(Restart::Transient)
        .backoff(Backoff::exponential(Duration::from_millis(100), Duration::from_secs(1)));
    server.start_child_with(move || Connection { client, lines: 0 }, options)
}

/// What the run saw.
#[derive(Debug)]
pub struct Summary {
    /// Every reply, by client.
    pub replies: Vec<(u32, Result<String, CallError>)>,
    /// Connections open once client 2 left.
    pub open: usize,
    /// How each remaining connection stopped at shutdown.
    pub stopped: Vec<StopReason>,
    /// A client accepted after the shutdown.
    pub late: Result<ConnectionRef, ChildError>,
}

pub async fn run(system: &System) -> Result<Summary, CallError> {
    let server = system.spawn(|| Server);
    let mut connections = Vec::new();
    for client in 1..=3 {
        connections.push(accept(&server, client).expect("the server is running"));
    }
    let script: [(usize, &str); 7] = [
        (0, "hello"),
        (1, "hi"),
        (2, "hey"),
        (1, ""), // malformed: client 2's connection crashes, alone
        (1, "again"),
        (0, "still here"),
        (1, "bye"),
    ];
    let mut replies = Vec::new();
    for (connection, text) in script {
        let reply = connections[connection].line(text.to_owned()).await;
        match &reply {
            Ok(reply) => println!("{reply}"),
            Err(error) => println!("client {}: {error}", connection + 1),
        }
        replies.push((connection as u32 + 1, reply));
    }
    connections[1].stopped().await;
    let open = server.children().len();
    println!("open connections: {open}");
    let stopped: Vec<_> = [&connections[0], &connections[2]].map(Handle::stopped).into();
    Handle::stop(&server).await;
    let mut reasons = Vec::new();
    for stopped in stopped {
        reasons.push(stopped.await);
    }
    let late = accept(&server, 4);
    if let Err(error) = &late {
        println!("client 4: {error}");
    }
    Ok(Summary {
        replies,
        open,
        stopped: reasons,
        late,
    })
}

#[tokio::main]
async fn main() -> Result<(), CallError> {
    // A malformed frame crashes a connection on purpose.
    phyx::hide_caught_panics();
    let system = System::new();
    run(&system).await?;
    system.shutdown().await;
    Ok(())
}
