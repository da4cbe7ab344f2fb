//! The parent's side: [`Isolated<T>`], a local process with `T`'s
//! messages and handle whose instance owns one child OS process that
//! runs `T`. The kernel runs it like any other process, so its crashes,
//! backoff, restart limit and supervision are the kernel's own.
//!
//! ```text
//! caller ──ask──> Isolated<T>'s mailbox ──(one at a time)──> frame on NATS ──> child: T's mailbox
//!        <─reply────────────────────────────────────────────── reply frame <──
//! child dies ──> the watcher: the message with the child fails `Panicked`, the instance crashes
//! ```
//!
//! Every message goes to the child as an ask, tells too, and the next one
//! only once it is handled: the child's death then fails the one message
//! it was handling, and those queued behind it wait in this mailbox for
//! the next instance, as they would for a local process.

use std::collections::VecDeque;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_nats::{Client, StatusCode, Subject, Subscriber};
use futures_util::StreamExt;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin};
use tokio::sync::{mpsc, oneshot, watch};

use super::isolation::Isolation;
use super::os;
use super::protocol::{Joining, Line, Settings};
use crate::cluster::Remote;
use crate::cluster::parts::{self as frame, Kind, Reply, Request, Subjects, random_u64};
use crate::event::StopReason;
use crate::kernel::addr::Addr;
use crate::kernel::ctx::Ctx;
use crate::kernel::process::{Handle, Message, Process, Status};
use crate::kernel::reply::{NoReply, Panic, Unreachable};
use crate::kernel::system::SystemInner;
use crate::kernel::wire::PendingReply;
use crate::options::SpawnOptions;
use crate::resilience::GuardSpec;

/// Why a start needs a cluster.
pub(crate) const NO_CLUSTER: &str = "an isolated process needs a system that joined a cluster, whose NATS server \
                                     its OS process joins too: build it with `System::builder().node(..).cluster(url).connect().await`";

/// The `ended` line of a child whose process stopped normally.
pub(crate) const ENDED_NORMALLY: &str = "normal";

/// How long the last lines of a dead child have to arrive.
const LAST_WORDS_WITHIN: Duration = Duration::from_secs(1);

/// How many of a child's last lines on stderr are kept, to find the one
/// that says why it died.
const LAST_LINES: usize = 32;

/// How long a child that stopped serving has to exit before it is killed.
const EXIT_WITHIN: Duration = Duration::from_secs(3);

/// A process of type `T` in an OS process of its own: a segfault, an
/// abort, a stack overflow or running out of memory or CPU time there
/// crashes this process only, and its supervisor restarts it (in a fresh
/// OS process, with fresh state) as for a panic.
///
/// A process in its own right, with `T`'s messages and handle: spawn it
/// like any other, by [`System::spawn`](crate::System::spawn) (or
/// [`System::spawn_isolated`](crate::System::spawn_isolated), the same
/// thing), in a [pool](crate::System::pool), as a `#[child]` of a
/// supervisor (`fn cruncher(&self) -> Isolated<Cruncher>`). Its options
/// are `T`'s `#[process(...)]` ones, overridden by
/// [`SpawnOptions`](crate::SpawnOptions) as usual.
///
/// Each instance starts one OS process (the program and limits its
/// [`Isolation`] says) that joins the system's cluster and runs `T`,
/// made by the factory its `main` gave
/// [`serve_if_child`](crate::isolated::serve_if_child); the instance
/// forwards its messages there, one at a time, and each caller gets its
/// reply. When that OS process dies, the call it was handling fails with
/// [`CallError::Panicked`](crate::CallError::Panicked), whose message says
/// what killed it ("the isolated OS process of `cruncher` died: signal 6
/// (SIGABRT)"), and the instance crashes; a panic there is a panic here,
/// with its message. Messages queued behind wait for the next instance.
///
/// # Examples
///
/// ```no_run
/// use phyx::isolated::{Isolated, Isolation};
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
/// struct Lab;
///
/// #[supervisor(max_restarts = 3, within = "10s")]
/// impl Lab {
///     #[child]
///     fn cruncher(&self) -> Isolated<Cruncher> {
///         Isolated::new(Isolation::new().memory_limit(1 << 30))
///     }
/// }
///
/// #[tokio::main]
/// async fn main() -> Result<(), Box<dyn std::error::Error>> {
///     phyx::isolated::serve_if_child(|children| children.add(Cruncher::default));
///     let system = System::builder().node("lab").cluster("nats://127.0.0.1:4222").connect().await?;
///     let lab = system.spawn(|| Lab);
///     assert_eq!(lab.cruncher().crunch(5).await?, 120);
///     system.shutdown().await;
///     Ok(())
/// }
/// ```
pub struct Isolated<T> {
    isolation: Isolation,
    /// The child of this instance, once started.
    running: Option<Running>,
    process: PhantomData<fn() -> T>,
}

impl<T: Remote> Isolated<T> {
    /// An isolated `T`, to be started as `isolation` says. Cheap: the OS
    /// process starts with the instance, in its start hook.
    pub fn new(isolation: Isolation) -> Self {
        Self {
            isolation,
            running: None,
            process: PhantomData,
        }
    }
}

impl<T> std::fmt::Debug for Isolated<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Isolated")
            .field("process", &std::any::type_name::<T>())
            .field("isolation", &self.isolation)
            .field("pid", &self.running.as_ref().map(|running| running.pid))
            .finish()
    }
}

// Not recommended: a type that is no process is told to add
// `#[phyx::process]`, not shown this impl among the processes there are.
#[diagnostic::do_not_recommend]
impl<T: Remote> Process for Isolated<T> {
    type Message = T::Message;
    type Ref = T::Ref;
    const NAME: &'static str = T::NAME;
    // The handle's calls check `T`'s guards by index, here as anywhere.
    const __GUARDS: &'static [GuardSpec] = T::__GUARDS;
    // And its caches, as anywhere.
    const __CACHES: usize = T::__CACHES;

    fn options() -> SpawnOptions {
        T::options()
    }

    fn __handle<'a>(
        &'a mut self,
        ctx: &'a mut Ctx<Self>,
        message: Self::Message,
    ) -> impl Future<Output = Result<(), Panic>> + Send + 'a {
        self.forward(ctx, message)
    }

    fn __on_start<'a>(&'a mut self, ctx: &'a mut Ctx<Self>) -> impl Future<Output = Result<(), String>> + Send + 'a {
        self.start(ctx)
    }

    fn __on_stop<'a>(&'a mut self, ctx: &'a mut Ctx<Self>, reason: StopReason) -> impl Future<Output = ()> + Send + 'a {
        self.close(ctx, reason)
    }
}

impl<T> Drop for Isolated<T> {
    fn drop(&mut self) {
        // The instance is over: nothing more is done to the process from
        // outside, and the child, if it still runs, is killed (its watcher
        // sees the `kill` sender go).
        if let Some(running) = &self.running {
            running.shared.lock().ended = true;
        }
    }
}

/// One instance's child, as the instance holds it.
struct Running {
    pid: u32,
    client: Client,
    /// Where the child serves the process.
    subject: Subject,
    /// The replies' subjects, `<prefix>.<seq>`, and the subscription to them.
    reply_prefix: String,
    replies: Subscriber,
    seq: u64,
    max_payload: usize,
    /// How long a silent node has, for a child that stopped serving.
    shared: Arc<Shared>,
    /// Why the child died, once it has.
    death: watch::Receiver<Option<Arc<str>>>,
    /// Open while the child should live: closed, the child shuts down.
    stdin: Option<ChildStdin>,
    /// Dropped (or sent), the watcher kills the child.
    kill: Option<oneshot::Sender<()>>,
}

/// What the instance, the child's watcher and its readers share.
#[derive(Default)]
struct Shared {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// A message is with the child.
    busy: bool,
    /// The instance is over, or its end is under way: nothing more is
    /// done to it from outside.
    ended: bool,
    /// Why the child died, once it has.
    dead: Option<Arc<str>>,
    /// Its process stopped by itself, normally (`ctx.stop()` there).
    stopped_itself: bool,
    /// The last lines it wrote on stderr since the current message was
    /// given to it (at most [`LAST_LINES`]).
    last_words: VecDeque<String>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Ends the instance of the process at `addr` from outside, for a child
/// that died (or stopped) while no message was with it: a crash with
/// `why`, or a stop for a child whose process stopped by itself. Once per
/// instance, and only one still serving.
fn end_from_outside<M: Message>(addr: &Addr<M>, state: &mut State, why: &Arc<str>) {
    if state.ended || state.busy {
        return;
    }
    let core = addr.core();
    // An instance already ending ends without it; a crash left pending
    // would crash the next one.
    if core.status() != Status::Running || core.stop_requested() || core.recycle_pending() {
        return;
    }
    state.ended = true;
    if state.stopped_itself {
        addr.node().request_stop();
    } else {
        core.set_crash(why.clone());
        addr.shared().mailbox.poke();
    }
}

/// What became of a message given to the child.
enum Outcome {
    /// The child's reply frame.
    Replied(async_nats::Message),
    /// The child died first; why.
    Died(Arc<str>),
    /// This node's connection ended.
    Disconnected,
}

impl<T: Remote> Isolated<T> {
    /// The start hook: starts the child and waits until it serves.
    async fn start(&mut self, ctx: &mut Ctx<Self>) -> Result<(), String> {
        let node_handle = ctx.node().clone();
        let system: &Arc<SystemInner> = &node_handle.core().system;
        let name: Arc<str> = ctx.name().into();
        let cluster = crate::system::isolated::cluster(system).ok_or(NO_CLUSTER)?;
        let node = cluster.node.upgrade().ok_or("the system has left its cluster")?;
        if node.has_left() {
            return Err("the system has left its cluster".into());
        }
        let namespace = cluster
            .config
            .clone()
            .check()
            .map_err(|error| error.to_string())?
            .namespace;
        let nonce = random_u64();
        let prefix = format!("phyx.{namespace}.iso.{nonce:016x}");
        let reply_prefix = format!("{prefix}.r");
        let child_node = format!("iso-{nonce:016x}");
        // Subscribed before anything is asked: the server then has it
        // before any reply, since it reads one connection in order.
        let replies = node
            .client
            .subscribe(format!("{reply_prefix}.*"))
            .await
            .map_err(|error| format!("could not subscribe: {error}"))?;
        let settings = Settings::new(
            nonce,
            std::any::type_name::<T>().to_owned(),
            name.to_string(),
            child_node.clone(),
            format!("{prefix}.p"),
            Joining::from_config(&cluster.config),
        );
        let mut child = os::spawn(&self.isolation)?;
        let pid = child.id().unwrap_or_default();
        let (Some(mut stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err("the child's standard streams are not piped".into());
        };
        let shared = Arc::new(Shared::default());
        let (lines, mut said) = mpsc::unbounded_channel();
        let readers = [
            tokio::spawn(read_stdout(stdout, nonce, name.clone(), pid, shared.clone(), lines)),
            tokio::spawn(read_stderr(stderr, name.clone(), pid, shared.clone())),
        ];
        let (kill, killed) = oneshot::channel();
        let (dying, death) = watch::channel(None);
        let watcher = Watcher {
            addr: ctx.myself().__addr().clone(),
            name: name.clone(),
            isolation: self.isolation.clone(),
            shared: shared.clone(),
            system: system.clone(),
            client: node.client.clone(),
            nodes_bucket: Subjects::new(&namespace, &child_node).nodes_bucket(),
            child_node,
        };
        tokio::spawn(watcher.watch(child, killed, readers, dying));
        self.running = Some(Running {
            pid,
            client: node.client.clone(),
            subject: Subject::from(settings.subject.clone()),
            reply_prefix,
            replies,
            seq: 0,
            max_payload: node.max_payload,
            shared,
            death,
            stdin: None,
            kill: Some(kill),
        });
        let running = self.running.as_mut().expect("just set");
        // A child that exits at once closes its end, and the write fails:
        // its end says why.
        let _ = stdin.write_all(&settings.to_bytes()).await;
        let _ = stdin.flush().await;
        running.stdin = Some(stdin);
        drop(node);

        let timeout = self.isolation.start_timeout.unwrap_or(Isolation::DEFAULT_START_TIMEOUT);
        let deadline = system.clock.sleep(timeout);
        tokio::pin!(deadline);
        let (mut entered, mut quiet) = (false, false);
        let failure = loop {
            tokio::select! {
                line = said.recv(), if !quiet => match line {
                    Some(Line::Entered) => entered = true,
                    Some(Line::Ready) => return Ok(()),
                    Some(Line::Failed(why)) => break format!("the isolated OS process of `{name}` could not start it: {why}"),
                    Some(Line::Ended(_)) => {}
                    None => quiet = true,
                },
                why = died(&mut running.death) => break if entered {
                    format!("before it was ready, {why}")
                } else {
                    format!("before it called phyx's entry (call phyx::isolated::serve_if_child at the top of main), {why}")
                },
                () = &mut deadline => break if entered {
                    format!("the isolated OS process of `{name}` (pid {pid}) was not ready within {timeout:?}: it could not join the cluster, or its process's start hook did not finish")
                } else {
                    format!("the isolated OS process of `{name}` (pid {pid}) did not call phyx's entry within {timeout:?}: call phyx::isolated::serve_if_child at the top of main, before anything else")
                },
            }
        };
        Err(failure)
    }

    /// The handler: gives `message` to the child and its reply to its
    /// caller.
    async fn forward(&mut self, ctx: &mut Ctx<Self>, message: T::Message) -> Result<(), Panic> {
        let addr = ctx.myself().__addr().clone();
        let running = self.running.as_mut().expect("an instance serves only once started");
        {
            let mut state = running.shared.lock();
            if let Some(why) = state.dead.clone() {
                // Died while idle, and this instance has not ended yet:
                // the message waits for the next one, in its place.
                if let Err(message) = addr.shared().mailbox.requeue_front(message) {
                    crate::panic::quietly(|| message.__no_reply(NoReply::Stopped));
                }
                if !state.ended {
                    state.ended = true;
                    addr.core().set_crash(why);
                    addr.shared().mailbox.poke();
                }
                return Ok(());
            }
            state.busy = true;
            state.last_words.clear();
        }
        let wire = <T::Message as Message>::__wire().expect("a `#[process(remote)]` process has a wire form");
        let mut payload = frame::request_buffer();
        let encoded = (wire.encode)(message, &mut payload);
        let caller = encoded.reply;
        let refused = match encoded.error {
            Some(error) => Some(error),
            None if payload.len() > running.max_payload => Some(format!(
                "the message is {} bytes, more than the cluster's maximum of {} (the server's `max_payload`)",
                payload.len(),
                running.max_payload
            )),
            None => None,
        };
        if let Some(reason) = refused {
            complete(caller, Err(NoReply::Unreachable(Unreachable::Transport(reason.into()))));
            return settle(&addr, running);
        }
        // An ask, whatever the caller does: the next message goes only
        // once this one is handled.
        frame::write_request(
            &mut payload,
            Request {
                kind: Kind::Ask,
                schema: wire.schema,
                method: encoded.method,
            },
        );
        running.seq += 1;
        let seq = running.seq;
        let reply_to = Subject::from(format!("{}.{seq}", running.reply_prefix));
        let published = running
            .client
            .publish_with_reply(running.subject.clone(), reply_to, frame::freeze(payload))
            .await;
        let outcome = match published {
            Err(_) => Outcome::Disconnected,
            Ok(()) => {
                tokio::select! {
                    biased;
                    reply = next_reply(&mut running.replies, seq) => match reply {
                        Some(reply) => Outcome::Replied(reply),
                        None => Outcome::Disconnected,
                    },
                    why = died(&mut running.death) => Outcome::Died(why),
                }
            }
        };
        let reply = match outcome {
            Outcome::Replied(reply) => reply,
            Outcome::Died(why) => return crashed(running, caller, why),
            Outcome::Disconnected => {
                complete(caller, Err(NoReply::Unreachable(Unreachable::Stopped)));
                return settle(&addr, running);
            }
        };
        let not_serving = reply.status == Some(StatusCode::NO_RESPONDERS);
        match frame::read_reply(&reply.payload) {
            _ if not_serving => self.not_serving(ctx, caller).await,
            Reply::Value(value) => {
                complete(caller, Ok(value));
                settle(&addr, running)
            }
            Reply::Accepted => {
                complete(caller, Ok(&[]));
                settle(&addr, running)
            }
            Reply::Failed(NoReply::Panicked(message)) => {
                complete(caller, Err(NoReply::Panicked(message.clone())));
                running.shared.lock().ended = true;
                Err(Panic { message })
            }
            Reply::Failed(NoReply::Stopped) => self.not_serving(ctx, caller).await,
            Reply::Failed(why) => {
                complete(caller, Err(why));
                settle(&addr, running)
            }
        }
    }

    /// The child answered that it no longer serves the process: it
    /// stopped by itself, or it is dying. Waits for its end (killing it if
    /// it takes too long) and ends the instance accordingly.
    async fn not_serving(&mut self, ctx: &mut Ctx<Self>, caller: Option<Box<dyn PendingReply>>) -> Result<(), Panic> {
        let running = self.running.as_mut().expect("an instance serves only once started");
        let clock = ctx.node().core().system.clock.clone();
        let why = tokio::select! {
            why = died(&mut running.death) => why,
            () = clock.sleep(EXIT_WITHIN) => {
                if let Some(kill) = running.kill.take() {
                    let _ = kill.send(());
                }
                died(&mut running.death).await
            }
        };
        if running.shared.lock().stopped_itself {
            let mut state = running.shared.lock();
            state.busy = false;
            state.ended = true;
            drop(state);
            complete(caller, Err(NoReply::Stopped));
            ctx.stop();
            return Ok(());
        }
        crashed(running, caller, why)
    }

    /// The stop hook: lets the child go (at once after a crash or for a
    /// supervisor's group restart, cleanly otherwise) and waits until it
    /// has.
    async fn close(&mut self, ctx: &mut Ctx<Self>, reason: StopReason) {
        let Some(running) = self.running.as_mut() else {
            return;
        };
        running.shared.lock().ended = true;
        // Closed standard input: the child stops its process, running its
        // stop hook, and leaves the cluster.
        running.stdin = None;
        // A group restart waits for no one: the child may be busy with the
        // very message its supervisor gave up on.
        let at_once = reason.is_crash() || ctx.node().core().recycle_pending();
        if at_once && let Some(kill) = running.kill.take() {
            let _ = kill.send(());
        }
        // Bounded by the stop hook's time, after which the instance is
        // dropped and the child killed.
        let _ = running.death.wait_for(Option::is_some).await;
    }
}

/// The instance's message is done: the next may go, unless the child died
/// meanwhile (then the instance ends).
fn settle<M: Message>(addr: &Addr<M>, running: &mut Running) -> Result<(), Panic> {
    let mut state = running.shared.lock();
    state.busy = false;
    if let Some(why) = state.dead.clone() {
        end_from_outside(addr, &mut state, &why);
    }
    Ok(())
}

/// The child died with a message: its caller hears why, and the instance
/// crashes.
fn crashed(running: &mut Running, caller: Option<Box<dyn PendingReply>>, why: Arc<str>) -> Result<(), Panic> {
    {
        let mut state = running.shared.lock();
        state.busy = false;
        state.ended = true;
    }
    complete(caller, Err(NoReply::Panicked(why.clone())));
    Err(Panic { message: why })
}

fn complete(caller: Option<Box<dyn PendingReply>>, reply: Result<&[u8], NoReply>) {
    if let Some(caller) = caller {
        crate::panic::quietly(|| caller.complete(reply));
    }
}

/// Why the child died, once it has.
async fn died(death: &mut watch::Receiver<Option<Arc<str>>>) -> Arc<str> {
    match death.wait_for(Option::is_some).await {
        Ok(why) => why.clone().unwrap_or_else(|| "it died".into()),
        Err(_) => "its watcher is gone".into(),
    }
}

/// The reply to message `seq`; `None` once the subscription ends.
async fn next_reply(replies: &mut Subscriber, seq: u64) -> Option<async_nats::Message> {
    while let Some(reply) = replies.next().await {
        let number = reply
            .subject
            .rsplit('.')
            .next()
            .and_then(|tail| tail.parse::<u64>().ok());
        // An earlier message's, which nobody waits for any more.
        if number == Some(seq) {
            return Some(reply);
        }
    }
    None
}

/// Watches one child until it ends, then says why to whoever listens.
struct Watcher<M: Message> {
    addr: Addr<M>,
    name: Arc<str>,
    isolation: Isolation,
    shared: Arc<Shared>,
    system: Arc<SystemInner>,
    client: Client,
    nodes_bucket: String,
    child_node: String,
}

impl<M: Message> Watcher<M> {
    async fn watch(
        self,
        mut child: Child,
        killed: oneshot::Receiver<()>,
        readers: [tokio::task::JoinHandle<()>; 2],
        died: watch::Sender<Option<Arc<str>>>,
    ) {
        let status = tokio::select! {
            status = child.wait() => status,
            // Sent or dropped: the instance is done with it.
            _ = killed => {
                let _ = child.start_kill();
                child.wait().await
            }
        };
        // Its last lines arrive once its pipes close, which its exit does
        // (unless a process of its own holds them).
        let readers = futures_util::future::join_all(readers);
        tokio::select! {
            _ = readers => {}
            () = self.system.clock.sleep(LAST_WORDS_WITHIN) => {}
        }
        let why: Arc<str> = match &status {
            Ok(status) => self.death(*status).into(),
            Err(error) => format!(
                "the isolated OS process of `{}` could not be waited for: {error}",
                self.name
            )
            .into(),
        };
        {
            let mut state = self.shared.lock();
            state.dead = Some(why.clone());
            end_from_outside(&self.addr, &mut state, &why);
        }
        let _ = died.send(Some(why));
        // A child that did not leave the cluster left its claim on its
        // node name, which no one else will take: removed.
        if !status.is_ok_and(|status| status.success()) {
            let js = async_nats::jetstream::new(self.client.clone());
            if let Ok(nodes) = js.get_key_value(&self.nodes_bucket).await {
                let _ = nodes.delete(&self.child_node).await;
            }
        }
    }

    /// Why a child that ended with `status` died, in a sentence.
    fn death(&self, status: std::process::ExitStatus) -> String {
        let mut why = format!(
            "the isolated OS process of `{}` died: {}",
            self.name,
            os::describe(status)
        );
        if os::out_of_cpu_time(status)
            && let Some(seconds) = self.isolation.cpu_seconds()
        {
            why.push_str(&format!(" (its CPU time limit of {seconds} s ran out)"));
        }
        let words = last_words(&std::mem::take(&mut self.shared.lock().last_words));
        if let Some(words) = words {
            why.push_str(&format!("; its last words on stderr: {words}"));
            if let (Some(limit), true) = (self.isolation.memory_limit, words.contains("memory allocation")) {
                why.push_str(&format!(" (its memory limit is {limit} bytes)"));
            }
        }
        why
    }
}

/// Each line `input` gives, whatever its encoding, without its newline.
fn lines(input: impl AsyncRead + Unpin) -> tokio::io::Split<BufReader<impl AsyncRead + Unpin>> {
    BufReader::new(input).split(b'\n')
}

fn text(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    text.strip_suffix('\r').unwrap_or(&text).to_owned()
}

/// The child's standard output: its own lines to `tracing` (INFO, target
/// `phyx::isolated`), phyx's to the instance.
async fn read_stdout(
    stdout: tokio::process::ChildStdout,
    nonce: u64,
    name: Arc<str>,
    pid: u32,
    shared: Arc<Shared>,
    said: mpsc::UnboundedSender<Line>,
) {
    let mut lines = lines(stdout);
    while let Ok(Some(line)) = lines.next_segment().await {
        let line = text(&line);
        match Line::parse(nonce, &line) {
            Some(Line::Ended(reason)) => {
                shared.lock().stopped_itself = reason == ENDED_NORMALLY;
                let _ = said.send(Line::Ended(reason));
            }
            Some(line) => {
                let _ = said.send(line);
            }
            None => tracing::info!(target: "phyx::isolated", process = %name, pid, "{line}"),
        }
    }
}

/// The child's standard error: each line to `tracing` (WARN, target
/// `phyx::isolated`), the last ones kept for the news of its death.
async fn read_stderr(stderr: tokio::process::ChildStderr, name: Arc<str>, pid: u32, shared: Arc<Shared>) {
    let mut lines = lines(stderr);
    while let Ok(Some(line)) = lines.next_segment().await {
        let line = text(&line);
        tracing::warn!(target: "phyx::isolated", process = %name, pid, "{line}");
        if !line.trim().is_empty() {
            let mut state = shared.lock();
            if state.last_words.len() == LAST_LINES {
                state.last_words.pop_front();
            }
            state.last_words.push_back(line.trim().to_owned());
        }
    }
}

/// Of the last lines a dead child wrote on stderr, the one that says why:
/// Rust's own last words before an abort (`memory allocation of N bytes
/// failed`, `fatal runtime error: ..`), else a panic's message (the line
/// after `thread '..' panicked at ..`), else the last line that is not
/// Rust's advice (`note: ..`) nor a backtrace's.
fn last_words(lines: &VecDeque<String>) -> Option<String> {
    let fatal = lines
        .iter()
        .rev()
        .find(|line| line.starts_with("memory allocation of") || line.starts_with("fatal runtime error:"));
    if let Some(fatal) = fatal {
        return Some(fatal.clone());
    }
    let panicked = lines
        .iter()
        .rposition(|line| line.starts_with("thread '") && line.contains("' panicked at "));
    if let Some(message) = panicked.and_then(|at| lines.get(at + 1)) {
        return Some(message.clone());
    }
    let backtrace = |line: &str| {
        line == "stack backtrace:"
            || line.starts_with("at ")
            || line
                .split_once(':')
                .is_some_and(|(frame, _)| frame.trim().parse::<u32>().is_ok())
    };
    lines
        .iter()
        .rev()
        .find(|line| !line.starts_with("note: ") && !backtrace(line))
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(lines: &[&str]) -> Option<String> {
        last_words(&lines.iter().map(|line| (*line).to_owned()).collect())
    }

    #[test]
    fn the_last_words_are_what_says_why() {
        assert_eq!(words(&[]), None);
        assert_eq!(
            words(&["working", "memory allocation of 16777216 bytes failed"]).as_deref(),
            Some("memory allocation of 16777216 bytes failed")
        );
        assert_eq!(
            words(&[
                "thread 'phyx-isolated-worker' has overflowed its stack",
                "fatal runtime error: stack overflow, aborting",
            ])
            .as_deref(),
            Some("fatal runtime error: stack overflow, aborting")
        );
        let panic = [
            "thread 'main' panicked at src/main.rs:3:5:",
            "the disk is on fire",
            "stack backtrace:",
            "0: std::panicking::begin_panic",
            "at /rustc/library/std/src/panicking.rs:1:1",
            "note: Some details are omitted, run with `RUST_BACKTRACE=full` for a verbose backtrace.",
        ];
        assert_eq!(words(&panic).as_deref(), Some("the disk is on fire"));
        // Out of memory while another thread panics: the abort's cause.
        let both = [
            "memory allocation of 16777216 bytes failed",
            "thread 'phyx-isolated-worker' panicked at src/lib.rs:1:1:",
            "failed to spawn thread",
            "note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace",
        ];
        assert_eq!(
            words(&both).as_deref(),
            Some("memory allocation of 16777216 bytes failed")
        );
        assert_eq!(
            words(&["an error of its own", "note: run with `RUST_BACKTRACE=1`"]).as_deref(),
            Some("an error of its own")
        );
    }
}
