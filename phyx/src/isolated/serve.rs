//! The child's side: [`serve_if_child`], which turns this program, when
//! phyx started it for an isolated process, into that process's server.

use std::collections::BTreeMap;
use std::future::Future;
use std::io::Read;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;

use super::keeper::ENDED_NORMALLY;
use super::protocol::{Line, Settings};
use crate::cluster::Remote;
use crate::cluster::parts::Serving;
use crate::event::{EventKind, StopReason};
use crate::kernel::process::{Handle, Message};
use crate::options::{Restart, SpawnOptions};
use crate::system::System;

/// How long a child whose parent went away has to shut down cleanly
/// before it exits anyway.
const ORPHAN_GRACE: Duration = Duration::from_secs(15);

/// Serves an isolated process when phyx started this program for one;
/// returns at once otherwise. Call it first thing in `main` of every
/// program that starts isolated processes
/// ([`System::spawn_isolated`](crate::System::spawn_isolated)) or that
/// [`Isolation::program`](crate::isolated::Isolation::program) names.
///
/// `register` adds the processes this program can serve, each with the
/// factory that builds its state (in the child, at its start):
/// `|children| children.add(Cruncher::default)`. It runs only in a
/// child.
///
/// In a child, this never returns: it reads its settings from its
/// standard input, joins the parent's cluster as a node of its own, starts
/// the process (with its `#[process(...)]` options, never restarted here:
/// its parent restarts it in a fresh OS process), serves it to the parent
/// only, and exits once the parent closes it, goes away (even killed with
/// SIGKILL: its standard input then ends), or the process stops by
/// itself. Everything the program writes on its standard output and
/// error reaches the parent's `tracing`, line by line.
///
/// A child that does not call it is found out: a `System` built there
/// panics, saying to call this, and its parent's start of the process
/// fails after its start timeout with the same advice.
///
/// Phyx marks its children with the environment variable
/// `PHYX_ISOLATED_CHILD`. A program that an isolated process starts in
/// turn inherits it; remove it there
/// (`Command::env_remove("PHYX_ISOLATED_CHILD")`), or that program's own
/// `serve_if_child` exits with a message saying so.
///
/// # Examples
///
/// ```no_run
/// use phyx::isolated::Isolation;
/// use phyx::prelude::*;
///
/// #[derive(Default)]
/// struct Cruncher;
///
/// #[process(remote)]
/// impl Cruncher {
///     #[public]
///     fn crunch(&self, n: u64) -> u64 { (1..=n).product() }
/// }
///
/// #[tokio::main]
/// async fn main() -> Result<(), Box<dyn std::error::Error>> {
///     // In the child, this serves a `Cruncher`; here, it returns at once.
///     phyx::isolated::serve_if_child(|children| children.add(Cruncher::default));
///
///     let system = System::builder().node("main").cluster("nats://127.0.0.1:4222").connect().await?;
///     let cruncher: CruncherRef = system.spawn_isolated::<Cruncher>(Isolation::new());
///     assert_eq!(cruncher.crunch(5).await?, 120);
///     system.shutdown().await;
///     Ok(())
/// }
/// ```
pub fn serve_if_child(register: impl FnOnce(&mut Children)) {
    match crate::system::isolated::started_by_phyx() {
        None => return,
        Some(true) => {}
        Some(false) => {
            // Started by a program that an isolated process's OS process
            // started, environment and all: not phyx's child, and not
            // the program it thinks it is either.
            eprintln!(
                "phyx: this program inherited {var} from an isolated process's OS process, which started it; \
                 remove {var} from the environment of the programs an isolated process starts \
                 (`Command::env_remove(\"{var}\")`)",
                var = crate::system::isolated::CHILD_VAR
            );
            std::process::exit(1);
        }
    }
    crate::system::isolated::enter();
    let mut children = Children::default();
    register(&mut children);
    // A thread of its own: `main` may run inside a runtime already
    // (`#[tokio::main]`), and a child's runtime is phyx's.
    let served = std::thread::Builder::new()
        .name("phyx-isolated".into())
        .spawn(move || serve(children))
        .map(|thread| thread.join().unwrap_or(101));
    std::process::exit(served.unwrap_or(101));
}

/// The processes a program can serve in a child, by type; given to the
/// closure of [`serve_if_child`].
#[derive(Default)]
pub struct Children {
    factories: BTreeMap<&'static str, Start>,
}

impl std::fmt::Debug for Children {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.factories.keys()).finish()
    }
}

/// Starts one process in the child's system, serving it on its subject.
type Start =
    Box<dyn FnOnce(System, Arc<Settings>) -> Pin<Box<dyn Future<Output = Result<Served, String>> + Send>> + Send>;

/// A process the child serves.
struct Served {
    /// Resolves once the process has stopped for good.
    stopped: Pin<Box<dyn Future<Output = StopReason> + Send>>,
    /// The serving task: it ends once the process has stopped, and its
    /// last replies are out.
    serving: tokio::task::JoinHandle<()>,
    /// Kept: dropped, it would end the serving.
    _cancel: oneshot::Sender<()>,
}

impl Children {
    /// Adds `T`, built by `factory` in a child that serves one. Every
    /// process the program starts isolated (with this program as its
    /// child) must be added. Adding a type twice keeps the last factory.
    ///
    /// `T` must be `#[process(remote)]`: its messages cross to the child.
    pub fn add<T: Remote>(&mut self, factory: impl Fn() -> T + Send + Sync + 'static) {
        let start: Start = Box::new(move |system, settings| Box::pin(start::<T>(system, settings, factory)));
        self.factories.insert(std::any::type_name::<T>(), start);
    }
}

/// The child's `main`: its settings, its runtime, its process.
fn serve(mut children: Children) -> i32 {
    let settings = match Settings::read(&mut std::io::stdin().lock()) {
        Ok(settings) => Arc::new(settings),
        Err(why) => {
            eprintln!("phyx: this program was started to serve an isolated process, and {why}");
            return 2;
        }
    };
    let nonce = settings.nonce;
    Line::Entered.say(nonce);
    let Some(start) = children.factories.remove(settings.process.as_str()) else {
        let known: Vec<&str> = children.factories.keys().copied().collect();
        Line::Failed(format!(
            "this program's phyx::isolated::serve_if_child adds no `{}` (it adds: {}); add it with `children.add(..)`",
            settings.process,
            if known.is_empty() {
                "nothing".to_owned()
            } else {
                known.join(", ")
            }
        ))
        .say(nonce);
        return 3;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        // One worker runs the process's handler, which may keep it busy
        // (a long computation); the other answers the cluster meanwhile.
        .worker_threads(2)
        .thread_name("phyx-isolated-worker")
        .enable_all()
        .build();
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(error) => {
            Line::Failed(format!("could not start its runtime: {error}")).say(nonce);
            return 3;
        }
    };
    let (closed, parent_gone) = oneshot::channel();
    watch_parent(closed);
    let code = runtime.block_on(run(start, settings, parent_gone));
    // A handler that never yields would keep the runtime's drop waiting.
    runtime.shutdown_timeout(Duration::from_secs(1));
    code
}

/// Tells `closed` when the parent closes this child's standard input or
/// goes away (its end then closes too, whatever killed it), then gives
/// the child [`ORPHAN_GRACE`] to end cleanly before ending it. A thread
/// of its own, which no busy runtime can hold up.
fn watch_parent(closed: oneshot::Sender<()>) {
    let watching = std::thread::Builder::new()
        .name("phyx-isolated-parent".into())
        .spawn(move || {
            let mut input = std::io::stdin().lock();
            let mut buffer = [0; 64];
            while !matches!(input.read(&mut buffer), Ok(0) | Err(_)) {}
            let _ = closed.send(());
            // Not a phyx timer: the last resort of an orphan, on real time.
            std::thread::sleep(ORPHAN_GRACE);
            std::process::exit(1);
        });
    if watching.is_err() {
        // Without it, an orphan would serve no one forever.
        eprintln!("phyx: could not watch the parent; exiting");
        std::process::exit(1);
    }
}

async fn run(start: Start, settings: Arc<Settings>, parent_gone: oneshot::Receiver<()>) -> i32 {
    let nonce = settings.nonce;
    let joining = &settings.cluster;
    let mut builder = System::builder().node(&settings.node);
    for server in &joining.servers {
        builder = builder.cluster(server);
    }
    if let Some(namespace) = &joining.namespace {
        builder = builder.namespace(namespace);
    }
    if let Some(detection) = joining.detection {
        builder = builder.detection(detection);
    }
    for certificate in &joining.root_certificates {
        builder = builder.tls_root_certificate(certificate);
    }
    if let Some(secret) = joining.credentials.clone() {
        builder = builder.credentials(secret.into_credentials());
    }
    let system = match builder.connect().await {
        Ok(system) => system,
        Err(error) => {
            Line::Failed(format!("could not join the cluster: {error}")).say(nonce);
            return 3;
        }
    };
    let served = match start(system.clone(), settings.clone()).await {
        Ok(served) => served,
        Err(why) => {
            Line::Failed(why).say(nonce);
            system.shutdown().await;
            return 3;
        }
    };
    Line::Ready.say(nonce);
    let Served {
        stopped,
        serving,
        _cancel,
    } = served;
    tokio::select! {
        _ = parent_gone => {}
        reason = stopped => {
            // Its replies still owed go out first.
            let _ = serving.await;
            let reason = match reason {
                StopReason::Normal => ENDED_NORMALLY.to_owned(),
                other => other.to_string(),
            };
            Line::Ended(reason).say(nonce);
        }
    }
    system.shutdown().await;
    0
}

/// Starts `T` in the child's system and serves it on the parent's subject.
async fn start<T: Remote>(
    system: System,
    settings: Arc<Settings>,
    factory: impl Fn() -> T + Send + Sync + 'static,
) -> Result<Served, String> {
    let wire = <T::Message as Message>::__wire().ok_or("a `#[process(remote)]` process has a wire form")?;
    let node = system.cluster_node().ok_or("the child joined no cluster")?.clone();
    let mut events = system.events();
    // Restarted by the parent, in a fresh OS process: never here.
    let options = SpawnOptions::new().name(&settings.name).restart(Restart::Temporary);
    let handle: T::Ref = system.spawn_with(factory, options);
    let id = handle.id();
    loop {
        let Some(event) = events.recv().await else {
            return Err("its system shut down while the process started".into());
        };
        if event.process != id {
            continue;
        }
        match event.kind {
            EventKind::Started => break,
            EventKind::Stopped { reason } => return Err(format!("the process did not start: {reason}")),
            _ => {}
        }
    }
    drop(events);
    let subscriber = node
        .client
        .subscribe(settings.subject.clone())
        .await
        .map_err(|error| format!("could not subscribe: {error}"))?;
    node.sync().await?;
    let serving = Serving {
        client: node.client.clone(),
        addr: handle.__addr().clone(),
        wire,
        max_payload: node.max_payload,
        node: node.name.clone(),
        taken: None,
    };
    let (cancel, cancelled) = oneshot::channel();
    let serving = tokio::spawn(serving.run(subscriber, cancelled, async {}));
    Ok(Served {
        stopped: Box::pin(handle.stopped()),
        serving,
        _cancel: cancel,
    })
}
