//! This node's place in the cluster: its NATS connection, its claim on its
//! name, the asks it has in flight, and what it knows of the nodes it
//! calls.
//!
//! Three tasks run per node: `take_replies` completes asks from this
//! node's reply subjects, `answer_probes` tells other nodes this one is
//! alive, and `hear_leaves` hears nodes that shut down (and a sweep of the
//! asks in flight). Handles publish from their callers' threads
//! (`publish.rs`). Each node it calls gets a `probe` task while it has handles to
//! it (see `liveness.rs`).

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, kv};
use async_nats::{Client, ConnectErrorKind, ConnectOptions, ServerAddr, StatusCode};
use bytes::Bytes;
use futures_util::StreamExt;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::clock::Clock;
use crate::cluster::config::{Checked, Credentials};
use crate::cluster::error::ClusterError;
use crate::cluster::frame::{Reply, read_reply, read_taken};
use crate::cluster::liveness;
use crate::cluster::subjects::{Subjects, reply_seq};
use crate::event::StopReason;
use crate::kernel::reply::{NoReply, Unreachable};
use crate::kernel::wire::PendingReply;

/// The node of a `NodeDown` for an ask to a pool that no member said it
/// took.
const UNKNOWN_MEMBER: &str = "(the pool member given the call)";

/// Messages a subscription holds before the NATS client drops new ones.
const SUBSCRIPTION_CAPACITY: usize = 1 << 18;

/// Messages the NATS client holds for its connection to write, for all of
/// this node's handles: past it, tells are refused as `MailboxFull` and
/// asks wait.
const OUTBOUND_CAPACITY: usize = 8192;

/// What this node knows of another one.
pub(crate) struct Peer {
    pub(crate) name: Arc<str>,
    /// Which start of that node: a node back under the same name is a new
    /// peer.
    pub(crate) incarnation: u64,
    down: AtomicBool,
    /// The handles to its processes, ended when it goes down.
    proxies: Mutex<Vec<Box<dyn Proxy>>>,
}

impl Peer {
    pub(crate) fn is_down(&self) -> bool {
        self.down.load(Ordering::SeqCst)
    }
}

/// A handle's address on this node for a process on another: ended (its
/// watchers told) when that node goes down or this one leaves.
pub(crate) trait Proxy: Send + Sync + 'static {
    fn end(&self, reason: StopReason);

    /// Whether every handle to it is gone.
    fn is_dropped(&self) -> bool;
}

/// A name this node serves.
pub(crate) struct Served {
    /// Its revision in the bucket: the claim that is this node's; `None`
    /// for a pool member, whose pool's name is no one node's.
    pub(crate) revision: Option<u64>,
    /// Ends the serving task.
    pub(crate) cancel: oneshot::Sender<()>,
}

/// An ask in flight: whom it went to, and its caller.
struct Waiting {
    /// `None` for an ask to a pool across nodes until a member says it
    /// took it, and for a durable tell (its stream's server answers).
    peer: Option<Arc<Peer>>,
    /// What answers: a process (a reply frame), or JetStream (its
    /// acknowledgement that a durable tell is stored).
    expects: Expect,
    /// When it was sent: an ask no pool member took within the detection
    /// time went to one that died.
    sent: Instant,
    reply: Box<dyn PendingReply>,
}

/// What answers an ask in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expect {
    /// The process: a reply frame.
    Reply,
    /// JetStream, for a publish into a durable process's stream: its
    /// acknowledgement that the message is stored.
    Stored,
}

pub(crate) struct Node {
    pub(crate) name: Arc<str>,
    pub(crate) incarnation: u64,
    pub(crate) client: Client,
    pub(crate) subjects: Subjects,
    pub(crate) names: kv::Store,
    nodes: kv::Store,
    /// JetStream, for the streams of durable processes.
    pub(crate) js: jetstream::Context,
    /// Numbers this node's durable tells: with its name and start, their
    /// message ids.
    next_message: AtomicU64,
    /// How long a silent node has before it is declared down.
    pub(crate) detection: Duration,
    /// The system's clock, which the node's probes and sweeps read.
    pub(crate) clock: Arc<dyn Clock>,
    /// The largest message the server takes.
    pub(crate) max_payload: usize,
    pending: Mutex<HashMap<u64, Waiting>>,
    next_seq: AtomicU64,
    peers: Mutex<HashMap<Arc<str>, Arc<Peer>>>,
    /// Handles to pools across nodes, ended when this node leaves.
    pools: Mutex<Vec<Box<dyn Proxy>>>,
    /// Names this node serves, by key-value key: deleted when it leaves.
    served: Mutex<HashMap<String, Served>>,
    left: AtomicBool,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A random `u64`, from the OS's randomness that seeds std's hash maps.
pub(crate) fn random_u64() -> u64 {
    static DRAWS: AtomicU64 = AtomicU64::new(0);
    RandomState::new().hash_one(DRAWS.fetch_add(1, Ordering::Relaxed))
}

impl Node {
    /// Connects, claims the node's name and starts the node's tasks.
    pub(crate) async fn connect(config: Checked, clock: Arc<dyn Clock>) -> Result<Arc<Self>, ClusterError> {
        let client = open(&config).await?;
        check_version(&client)?;
        let subjects = Subjects::new(&config.namespace, &config.node);
        let js = jetstream::new(client.clone());
        let nodes = bucket(&js, subjects.nodes_bucket()).await?;
        let names = bucket(&js, subjects.names_bucket()).await?;
        let incarnation = random_u64();
        let name: Arc<str> = config.node.into();
        let subscribe = |subject: String| {
            let client = client.clone();
            async move {
                client.subscribe(subject).await.map_err(|error| ClusterError::Server {
                    cause: format!("could not subscribe: {error}").into(),
                })
            }
        };
        // Probes reach this node before its claim is visible: a node that
        // starts under the same name meanwhile finds it alive.
        let probes = subscribe(subjects.probe(&name, incarnation)).await?;
        let answering = tokio::spawn(answer_probes(client.clone(), probes));
        let replies = subscribe(subjects.replies()).await?;
        let leaves = subscribe(subjects.leave()).await?;
        let max_payload = client.server_info().max_payload;
        let node = Arc::new(Self {
            name,
            incarnation,
            client,
            subjects,
            names,
            nodes,
            js,
            next_message: AtomicU64::new(0),
            detection: config.detection,
            clock,
            max_payload,
            pending: Mutex::new(HashMap::new()),
            next_seq: AtomicU64::new(0),
            peers: Mutex::new(HashMap::new()),
            pools: Mutex::new(Vec::new()),
            served: Mutex::new(HashMap::new()),
            left: AtomicBool::new(false),
            tasks: Mutex::new(vec![answering]),
        });
        node.sync()
            .await
            .map_err(|cause| ClusterError::Server { cause: cause.into() })?;
        node.claim().await?;
        let weak = Arc::downgrade(&node);
        let tasks = [
            tokio::spawn(take_replies(weak.clone(), replies)),
            tokio::spawn(hear_leaves(weak.clone(), leaves)),
            tokio::spawn(sweep_pending(weak, liveness::probe_interval(node.detection))),
        ];
        lock(&node.tasks).extend(tasks);
        Ok(node)
    }

    /// Waits until the server has taken everything this node sent so far
    /// (its subscriptions among it): the node's probe of itself comes back
    /// only then, since a server handles one connection's messages in
    /// order. (A flush only writes them.)
    pub(crate) async fn sync(&self) -> Result<(), String> {
        match self.probe(&self.name, self.incarnation, self.detection).await {
            Some(true) => Ok(()),
            _ => Err(format!(
                "the server did not echo this node's probe within {:?}",
                self.detection
            )),
        }
    }

    /// Claims the node's name: taken if another live node has it; a name
    /// left behind by a node that died is taken over.
    async fn claim(&self) -> Result<(), ClusterError> {
        let name = &*self.name;
        let value = Bytes::copy_from_slice(&self.incarnation.to_le_bytes());
        let server_error = |error: String| ClusterError::Server { cause: error.into() };
        let current = match self.nodes.create(name, value.clone()).await {
            Ok(_) => return Ok(()),
            Err(error) if error.kind() == kv::CreateErrorKind::AlreadyExists => self
                .nodes
                .entry(name)
                .await
                .map_err(|error| server_error(format!("could not read the node name's claim: {error}")))?,
            Err(error) => return Err(server_error(format!("could not claim the node name: {error}"))),
        };
        let holder = current
            .as_ref()
            .and_then(|current| current.value.first_chunk::<8>())
            .map(|incarnation| u64::from_le_bytes(*incarnation));
        if let Some(holder) = holder
            && self.probe(name, holder, self.detection).await != Some(false)
        {
            return Err(ClusterError::NameTaken { node: name.into() });
        }
        // The holder is gone; so is any other claim made meanwhile, or the
        // update fails.
        let revision = current.map_or(0, |current| current.revision);
        self.nodes
            .update(name, value, revision)
            .await
            .map(drop)
            .map_err(|_| ClusterError::NameTaken { node: name.into() })
    }

    /// Records that this node serves `key`.
    pub(crate) fn serving(&self, key: String, served: Served) {
        if let Some(earlier) = lock(&self.served).insert(key, served) {
            let _ = earlier.cancel.send(());
        }
    }

    /// Deletes `key` from the bucket if the claim `revision` is still
    /// this node's: the process stopped serving.
    pub(crate) async fn release(&self, key: &str, revision: Option<u64>) {
        let ours = {
            let mut served = lock(&self.served);
            let ours = served.get(key).is_some_and(|served| served.revision == revision);
            if ours {
                served.remove(key);
            }
            ours
        };
        if let (true, Some(revision)) = (ours, revision) {
            let _ = self.names.delete_expect_revision(key, Some(revision)).await;
        }
    }

    /// Stops serving `key` and deletes it; whether this node served it.
    pub(crate) async fn stop_serving(&self, key: &str) -> bool {
        let Some(served) = lock(&self.served).remove(key) else {
            return false;
        };
        let _ = served.cancel.send(());
        if let Some(revision) = served.revision {
            let _ = self.names.delete_expect_revision(key, Some(revision)).await;
        }
        true
    }

    /// Keeps a task to abort when the node leaves.
    pub(crate) fn keep(&self, task: JoinHandle<()>) {
        lock(&self.tasks).push(task);
    }

    pub(crate) fn has_left(&self) -> bool {
        self.left.load(Ordering::SeqCst)
    }

    /// The peer record of `name`'s start `incarnation`; a new one, probed
    /// from now on, if the node is new here or came back under its name
    /// (the old one is down for good). Whether it is new.
    pub(crate) fn peer(self: &Arc<Self>, name: &str, incarnation: u64) -> (Arc<Peer>, bool) {
        let mut peers = lock(&self.peers);
        // One declared down may be back (a partition healed): it is
        // probed again as a new peer.
        if let Some(peer) = peers.get(name)
            && peer.incarnation == incarnation
            && !peer.is_down()
        {
            return (peer.clone(), false);
        }
        let peer = Arc::new(Peer {
            name: name.into(),
            incarnation,
            down: AtomicBool::new(false),
            proxies: Mutex::new(Vec::new()),
        });
        peers.insert(peer.name.clone(), peer.clone());
        drop(peers);
        liveness::watch(self, peer.clone());
        (peer, true)
    }

    /// Ends `proxy` with its peer (at once if the peer is down already),
    /// or, for a pool across nodes (`None`), when this node leaves.
    pub(crate) fn attach(&self, peer: Option<&Peer>, proxy: Box<dyn Proxy>) {
        let Some(peer) = peer else {
            return lock(&self.pools).push(proxy);
        };
        let mut proxies = lock(&peer.proxies);
        if peer.is_down() {
            drop(proxies);
            proxy.end(StopReason::NodeDown {
                node: peer.name.clone(),
            });
        } else {
            // Handles dropped since are forgotten, so that looking a name
            // up again and again does not grow the list.
            proxies.retain(|proxy| !proxy.is_dropped());
            proxies.push(proxy);
        }
    }

    /// Whether this node has nothing left to do with `peer`: no handle to
    /// its processes and no ask in flight to it. It is then forgotten,
    /// and probed no more.
    pub(crate) fn forget_if_idle(&self, peer: &Arc<Peer>) -> bool {
        let mut peers = lock(&self.peers);
        let pending = lock(&self.pending);
        let asked = pending
            .values()
            .any(|waiting| waiting.peer.as_ref().is_some_and(|to| Arc::ptr_eq(to, peer)));
        let held = lock(&peer.proxies).iter().any(|proxy| !proxy.is_dropped());
        if asked || held {
            return false;
        }
        if peers.get(&peer.name).is_some_and(|known| Arc::ptr_eq(known, peer)) {
            peers.remove(&peer.name);
        }
        true
    }

    /// Files an ask to `peer`; its number, for the reply subject. Fails
    /// with the reply back if the peer is down (checked under the lock
    /// that `peer_down` drains, so no ask slips between the two).
    pub(crate) fn wait_for_reply(
        &self,
        peer: Option<&Arc<Peer>>,
        expects: Expect,
        reply: Box<dyn PendingReply>,
    ) -> Result<u64, Box<dyn PendingReply>> {
        let mut pending = lock(&self.pending);
        if peer.is_some_and(|peer| peer.is_down()) || self.has_left() {
            return Err(reply);
        }
        let seq = self.next_seq.fetch_add(1, Ordering::Relaxed);
        pending.insert(
            seq,
            Waiting {
                peer: peer.cloned(),
                expects,
                sent: self.clock.now(),
                reply,
            },
        );
        Ok(seq)
    }

    /// The id of this node's next durable tell, unique across the
    /// cluster: JetStream drops a second message with the same id.
    pub(crate) fn message_id(&self) -> String {
        let seq = self.next_message.fetch_add(1, Ordering::Relaxed);
        format!("{}.{:016x}.{seq}", self.name, self.incarnation)
    }

    /// Forgets ask `seq` (it was never sent).
    pub(crate) fn forget(&self, seq: u64) -> Option<Box<dyn PendingReply>> {
        lock(&self.pending).remove(&seq).map(|waiting| waiting.reply)
    }

    /// Drops the asks whose callers stopped waiting (timed out): their
    /// replies, if any come, are discarded. Fails the asks to pools that
    /// no member took within the detection time: the member the server
    /// gave one to died with it.
    fn sweep(&self) {
        lock(&self.pending).retain(|_, waiting| !waiting.reply.abandoned());
        let now = self.clock.now();
        let late = |waiting: &Waiting, expects: Expect| {
            waiting.peer.is_none() && waiting.expects == expects && now.duration_since(waiting.sent) >= self.detection
        };
        self.fail_where(
            |waiting| late(waiting, Expect::Reply),
            &NoReply::Unreachable(Unreachable::NodeDown(UNKNOWN_MEMBER.into())),
        );
        self.fail_where(
            |waiting| late(waiting, Expect::Stored),
            &NoReply::Unreachable(Unreachable::Transport(
                format!(
                    "the NATS server did not confirm the durable tell within {:?}",
                    self.detection
                )
                .into(),
            )),
        );
    }

    /// Fails with `why` every ask in flight that `matches`; their callers
    /// hear it outside the lock.
    fn fail_where(&self, mut matches: impl FnMut(&Waiting) -> bool, why: &NoReply) {
        let failed: Vec<Waiting> = lock(&self.pending)
            .extract_if(|_, waiting| matches(waiting))
            .map(|(_, waiting)| waiting)
            .collect();
        for waiting in failed {
            waiting.reply.complete(Err(why.clone()));
        }
    }

    /// `peer` is gone: its asks fail with `NodeDown`, its handles end.
    pub(crate) fn peer_down(&self, peer: &Peer) {
        if peer.down.swap(true, Ordering::SeqCst) {
            return;
        }
        tracing::warn!(node = %self.name, peer = %peer.name, "node down");
        self.fail_where(
            |waiting| waiting.peer.as_deref().is_some_and(|to| std::ptr::eq(to, peer)),
            &NoReply::Unreachable(Unreachable::NodeDown(peer.name.clone())),
        );
        let proxies = std::mem::take(&mut *lock(&peer.proxies));
        for proxy in proxies {
            proxy.end(StopReason::NodeDown {
                node: peer.name.clone(),
            });
        }
    }

    /// Whether `node` answers a probe within `within`: `Some(false)` if
    /// the server says nobody listens there (its connection is gone),
    /// `None` if it did not answer in time.
    pub(crate) async fn probe(&self, node: &str, incarnation: u64, within: Duration) -> Option<bool> {
        let request = async_nats::Request::new().timeout(Some(within));
        match self
            .client
            .send_request(self.subjects.probe(node, incarnation), request)
            .await
        {
            Ok(_) => Some(true),
            Err(error) if error.kind() == async_nats::RequestErrorKind::NoResponders => Some(false),
            Err(_) => None,
        }
    }

    /// Leaves the cluster: releases this node's names and its own, tells
    /// the others, fails what is in flight and ends its handles.
    pub(crate) async fn leave(&self) {
        if self.left.swap(true, Ordering::SeqCst) {
            return;
        }
        let served: Vec<(String, Served)> = lock(&self.served).drain().collect();
        for (key, served) in served {
            let _ = served.cancel.send(());
            if let Some(revision) = served.revision {
                let _ = self.names.delete_expect_revision(&key, Some(revision)).await;
            }
        }
        let mut leave = self.incarnation.to_le_bytes().to_vec();
        leave.extend_from_slice(self.name.as_bytes());
        let _ = self.client.publish(self.subjects.leave(), leave.into()).await;
        let _ = self.nodes.delete(&*self.name).await;
        let _ = self.client.flush().await;
        self.fail_where(|_| true, &NoReply::Stopped);
        let peers: Vec<Arc<Peer>> = lock(&self.peers).drain().map(|(_, peer)| peer).collect();
        let mut proxies = std::mem::take(&mut *lock(&self.pools));
        for peer in peers {
            proxies.append(&mut lock(&peer.proxies));
        }
        for proxy in proxies {
            proxy.end(StopReason::Shutdown);
        }
        for task in lock(&self.tasks).drain(..) {
            task.abort();
        }
    }

    /// Completes ask `seq` with what arrived on its reply subject.
    fn take_reply(self: &Arc<Self>, seq: u64, message: &async_nats::Message) {
        if let Some((node, incarnation)) = read_taken(&message.payload) {
            return self.taken(seq, node, incarnation);
        }
        let Some(waiting) = lock(&self.pending).remove(&seq) else {
            // Its caller gave up, or the peer was declared down first.
            return;
        };
        if waiting.expects == Expect::Stored {
            return waiting.reply.complete(crate::cluster::durable::stored(message));
        }
        if message.status == Some(StatusCode::NO_RESPONDERS) {
            // Nobody serves the process's subject: its node is gone, or
            // the process stopped. A probe of the node tells which.
            let node = self.clone();
            tokio::spawn(async move { node.no_responders(waiting).await });
            return;
        }
        match read_reply(&message.payload) {
            Reply::Value(value) => waiting.reply.complete(Ok(value)),
            Reply::Accepted => waiting.reply.complete(Ok(&[])),
            Reply::Failed(why) => waiting.reply.complete(Err(why)),
        }
    }

    /// A pool's member `node` took ask `seq`: its loss fails it from now
    /// on.
    fn taken(self: &Arc<Self>, seq: u64, node: &str, incarnation: u64) {
        let (peer, _) = self.peer(node, incarnation);
        let mut pending = lock(&self.pending);
        if let Some(waiting) = pending.get_mut(&seq) {
            if peer.is_down() {
                let waiting = pending.remove(&seq);
                drop(pending);
                if let Some(waiting) = waiting {
                    let why = Unreachable::NodeDown(peer.name.clone());
                    waiting.reply.complete(Err(NoReply::Unreachable(why)));
                }
            } else {
                waiting.peer = Some(peer);
            }
        }
    }

    async fn no_responders(&self, waiting: Waiting) {
        // A pool with no member left: nobody serves it.
        let Some(peer) = waiting.peer.clone() else {
            return waiting.reply.complete(Err(NoReply::Unreachable(Unreachable::Stopped)));
        };
        match self.probe(&peer.name, peer.incarnation, self.detection).await {
            Some(true) => waiting.reply.complete(Err(NoReply::Unreachable(Unreachable::Stopped))),
            Some(false) | None => {
                let why = Unreachable::NodeDown(peer.name.clone());
                waiting.reply.complete(Err(NoReply::Unreachable(why)));
                self.peer_down(&peer);
            }
        }
    }

    /// Another node said it leaves: `incarnation` (8 bytes) and name.
    fn heard_leave(&self, leave: &[u8]) {
        let Some((incarnation, name)) = leave.split_first_chunk::<8>() else {
            return;
        };
        let incarnation = u64::from_le_bytes(*incarnation);
        let peer = std::str::from_utf8(name)
            .ok()
            .and_then(|name| lock(&self.peers).get(name).cloned())
            .filter(|peer| peer.incarnation == incarnation);
        if let Some(peer) = peer {
            self.peer_down(&peer);
        }
    }
}

async fn open(config: &Checked) -> Result<Client, ClusterError> {
    let url: Arc<str> = config.servers.join(",").into();
    let servers = config
        .servers
        .iter()
        .map(|server| {
            server.parse::<ServerAddr>().map_err(|error| ClusterError::Config {
                problem: format!(
                    "`{server}` is not a NATS server address ({error}); write one like `nats://127.0.0.1:4222`"
                )
                .into(),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut options = ConnectOptions::new()
        .name(format!("phyx node {}", config.node))
        .connection_timeout(config.detection)
        .require_tls(config.require_tls)
        // A subscription whose buffer is full drops what arrives (tells
        // to a process that cannot keep up): room for bursts, and a
        // warning when it happens.
        .subscription_capacity(SUBSCRIPTION_CAPACITY)
        .client_capacity(OUTBOUND_CAPACITY)
        .event_callback(|event| async move {
            match event {
                async_nats::Event::SlowConsumer(subscription) => tracing::warn!(
                    target: "phyx",
                    subscription,
                    "a process on this node cannot keep up with the tells sent to it: NATS dropped some (tells are at most once)"
                ),
                async_nats::Event::Disconnected => tracing::warn!(target: "phyx", "disconnected from the NATS server"),
                async_nats::Event::Connected => tracing::info!(target: "phyx", "connected to the NATS server"),
                _ => {}
            }
        });
    for certificate in &config.root_certificates {
        // async-nats reads it only once a server answers, and reports a
        // missing file as a failed connection.
        if let Err(error) = std::fs::File::open(certificate) {
            return Err(ClusterError::Config {
                problem: format!(
                    "cannot read the TLS root certificate {}: {error}",
                    certificate.display()
                )
                .into(),
            });
        }
        options = options.add_root_certificates(certificate.clone());
    }
    options = match &config.credentials {
        None => options,
        Some(Credentials::UserPassword { user, password }) => options.user_and_password(user.clone(), password.clone()),
        Some(Credentials::Token(token)) => options.token(token.clone()),
        Some(Credentials::Nkey(seed)) => options.nkey(seed.clone()),
        Some(Credentials::File(path)) => {
            options
                .credentials_file(path)
                .await
                .map_err(|error| ClusterError::Config {
                    problem: format!("cannot read the credentials file {}: {error}", path.display()).into(),
                })?
        }
    };
    options.connect(servers).await.map_err(|error| {
        let cause: Arc<str> = error.to_string().into();
        match error.kind() {
            ConnectErrorKind::Authentication | ConnectErrorKind::AuthorizationViolation => ClusterError::Refused {
                url: url.clone(),
                cause,
            },
            // A server answered: "no server answered, start one" would be
            // the wrong advice.
            _ if tls_failed(&error) => ClusterError::Config {
                problem: format!(
                    "the TLS handshake with the NATS server at {url} failed ({cause}); give the builder the \
                     certificate authority that signed the server's certificate \
                     (`.tls_root_certificate(\"ca.pem\")`), or check that the server has TLS on and a valid certificate"
                )
                .into(),
            },
            _ => ClusterError::Unreachable {
                url: url.clone(),
                cause,
            },
        }
    })
}

/// Whether the connection failed in TLS: its setup, or a handshake
/// refused (an unknown or wrong certificate authority, a server that
/// speaks no TLS). async-nats reports a handshake as an I/O error, with
/// rustls's error inside.
fn tls_failed(error: &async_nats::ConnectError) -> bool {
    error.kind() == ConnectErrorKind::Tls
        || std::error::Error::source(error)
            .and_then(|source| source.downcast_ref::<std::io::Error>())
            .and_then(std::io::Error::get_ref)
            .is_some_and(|inner| inner.is::<async_nats::rustls::Error>())
}

fn check_version(client: &Client) -> Result<(), ClusterError> {
    if client.is_server_compatible(2, 10, 0) {
        Ok(())
    } else {
        Err(ClusterError::Server {
            cause: format!("the server is version {}", client.server_info().version).into(),
        })
    }
}

async fn bucket(js: &jetstream::Context, name: String) -> Result<kv::Store, ClusterError> {
    if let Ok(store) = js.get_key_value(&name).await {
        return Ok(store);
    }
    let config = kv::Config {
        bucket: name.clone(),
        history: 1,
        ..Default::default()
    };
    match js.create_key_value(config).await {
        Ok(store) => Ok(store),
        // Another node created it meanwhile.
        Err(error) => js.get_key_value(&name).await.map_err(|_| ClusterError::Server {
            cause: format!("could not open key-value bucket `{name}`: {error}").into(),
        }),
    }
}

async fn take_replies(node: Weak<Node>, mut replies: async_nats::Subscriber) {
    while let Some(message) = replies.next().await {
        let Some(node) = node.upgrade() else { return };
        if let Some(seq) = reply_seq(&message.subject) {
            node.take_reply(seq, &message);
        }
    }
}

async fn answer_probes(client: Client, mut probes: async_nats::Subscriber) {
    while let Some(probe) = probes.next().await {
        if let Some(reply) = probe.reply {
            let _ = client.publish(reply, Bytes::new()).await;
        }
    }
}

async fn hear_leaves(node: Weak<Node>, mut leaves: async_nats::Subscriber) {
    while let Some(leave) = leaves.next().await {
        let Some(node) = node.upgrade() else { return };
        node.heard_leave(&leave.payload);
    }
}

/// Sweeps the asks in flight every `interval` (see `Node::sweep`).
async fn sweep_pending(node: Weak<Node>, interval: Duration) {
    loop {
        let Some(clock) = node.upgrade().map(|node| node.clock.clone()) else {
            return;
        };
        clock.sleep(interval).await;
        let Some(node) = node.upgrade() else { return };
        node.sweep();
    }
}
