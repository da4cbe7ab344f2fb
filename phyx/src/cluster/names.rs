//! Names across the cluster, in the JetStream key-value bucket
//! `phyx_<ns>_names`: a registered name's key holds where the process is
//! served. `create` makes the claim atomic across nodes; a claim left by
//! a node that died is taken over once a probe finds nobody there.
//!
//! A registration gets its own random subject, so a handle reaches the
//! process it was looked up for and no other: once that process stops (or
//! its node goes down), a new process registered under the same name is
//! reached by looking the name up again.

use std::sync::Arc;

use async_nats::jetstream::kv;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;

use crate::cluster::durable;
use crate::cluster::link::remote_addr;
use crate::cluster::node::Served;
use crate::cluster::node::{Node, random_u64};
use crate::cluster::serve::Serving;
use crate::cluster::subjects::key;
use crate::error::{LookupError, RegisterError};
use crate::kernel::addr::Addr;
use crate::kernel::process::{Handle, Message};
use crate::kernel::system::SystemInner;
use crate::kernel::wire::Wire;
use crate::registry::short_type_name;

/// A name's value in the bucket.
#[derive(Serialize, Deserialize)]
struct Entry {
    node: String,
    incarnation: u64,
    subject: String,
    handle_type: String,
    schema: u64,
    /// A pool across nodes: served by every member (a queue group), held
    /// by no one node.
    pool: bool,
    /// A durable process: the subject of its stream, where its tells go.
    durable: Option<String>,
}

impl Entry {
    fn read(bytes: &[u8]) -> Option<Self> {
        postcard::from_bytes(bytes).ok()
    }

    /// What a key's latest entry holds; `None` once it was deleted.
    fn held(current: &kv::Entry) -> Option<Self> {
        (current.operation == kv::Operation::Put)
            .then(|| Self::read(&current.value))
            .flatten()
    }

    fn bytes(&self) -> Bytes {
        postcard::to_stdvec(self).map(Bytes::from).unwrap_or_default()
    }
}

/// Claims `name` cluster-wide for the process behind `handle` and serves
/// it; a process without `#[process(remote)]` keeps its name on this node
/// only.
pub(crate) async fn register<H: Handle>(node: &Arc<Node>, name: &str, handle: &H) -> Result<(), RegisterError> {
    let Some(wire) = H::Message::__wire() else {
        return Ok(());
    };
    let cluster_error = |cause: String| RegisterError::Cluster {
        name: name.into(),
        cause: cause.into(),
    };
    let entry = Entry {
        node: node.name.to_string(),
        incarnation: node.incarnation,
        subject: node.subjects.process(random_u64()),
        handle_type: short_type_name(std::any::type_name::<H>()).to_string(),
        schema: wire.schema,
        pool: false,
        durable: wire.durable.then(|| node.subjects.durable(&key(name))),
    };
    // Subscribed before the name is visible: whoever finds it reaches it.
    let mut subscriber = node
        .client
        .subscribe(entry.subject.clone())
        .await
        .map_err(|error| cluster_error(format!("could not subscribe: {error}")))?;
    node.sync().await.map_err(cluster_error)?;
    let key = key(name);
    let stream = match wire.durable {
        true => match durable::open(node, &key).await {
            Ok(consumer) => Some(consumer),
            Err(cause) => {
                let _ = subscriber.unsubscribe().await;
                return Err(cluster_error(cause));
            }
        },
        false => None,
    };
    let revision = match claim(node, &key, &entry).await {
        Ok(revision) => revision,
        Err(error) => {
            let _ = subscriber.unsubscribe().await;
            return Err(error.named(name));
        }
    };
    start_serving(
        node,
        key,
        Some(revision),
        handle.__addr().clone(),
        wire,
        (subscriber, stream),
        None,
    );
    Ok(())
}

/// A durable process's stream, read by its consumer.
type Stream = Option<async_nats::jetstream::consumer::Consumer<async_nats::jetstream::consumer::pull::Config>>;

/// Serves `addr` on `subscriber` (and a durable process's `stream`) until
/// it stops or its name is released, then deletes the name's claim
/// `revision` (a pool member's has none: the pool's name outlives each
/// member).
fn start_serving<M: Message>(
    node: &Arc<Node>,
    key: String,
    revision: Option<u64>,
    addr: Addr<M>,
    wire: Wire<M>,
    (subscriber, stream): (async_nats::Subscriber, Stream),
    taken: Option<Vec<u8>>,
) {
    let (cancel, cancelled) = oneshot::channel();
    node.serving(key.clone(), Served { revision, cancel });
    // What it took from the stream and did not acknowledge goes to
    // whoever serves the name next.
    let consuming = stream.map(|consumer| {
        tokio::spawn(durable::consume(
            consumer,
            addr.clone(),
            wire,
            node.max_payload,
            node.clock.clone(),
            node.detection,
        ))
    });
    let serving = Serving {
        client: node.client.clone(),
        addr,
        wire,
        max_payload: node.max_payload,
        node: node.name.clone(),
        taken,
    };
    let weak = Arc::downgrade(node);
    node.keep(tokio::spawn(async move {
        let release = async move {
            if let Some(node) = weak.upgrade() {
                node.release(&key, revision).await;
            }
        };
        serving.run(subscriber, cancelled, release).await;
        if let Some(consuming) = consuming {
            consuming.abort();
        }
    }));
}

/// Adds the process behind `handle` to the pool `name` across nodes:
/// every node that adds one serves the pool's calls, which the NATS
/// server spreads over the members (a queue group).
pub(crate) async fn register_pool<H: Handle>(node: &Arc<Node>, name: &str, handle: &H) -> Result<(), RegisterError> {
    let Some(wire) = H::Message::__wire() else {
        return Err(RegisterError::NotRemote {
            name: name.into(),
            process: handle.__addr().core().name.clone(),
        });
    };
    let cluster_error = |cause: String| RegisterError::Cluster {
        name: name.into(),
        cause: cause.into(),
    };
    let key = key(name);
    let entry = Entry {
        node: String::new(),
        incarnation: 0,
        subject: node.subjects.pool(&key),
        handle_type: short_type_name(std::any::type_name::<H>()).to_string(),
        schema: wire.schema,
        pool: true,
        durable: wire.durable.then(|| node.subjects.durable(&key)),
    };
    match node.names.create(&key, entry.bytes()).await {
        Ok(_) => {}
        Err(error) if error.kind() == kv::CreateErrorKind::AlreadyExists => {
            let current = node
                .names
                .entry(&key)
                .await
                .map_err(|error| cluster_error(format!("could not read the name: {error}")))?;
            let holder = current.as_ref().and_then(Entry::held);
            match holder {
                Some(pool) if pool.pool && pool.handle_type == entry.handle_type && pool.schema == entry.schema => {}
                Some(pool) if pool.pool => {
                    return Err(cluster_error(format!(
                        "the pool's members are `{}`s of another build; run the same build on every node",
                        pool.handle_type
                    )));
                }
                Some(holder) => {
                    return Err(RegisterError::TakenElsewhere {
                        name: name.into(),
                        node: holder.node.into(),
                    });
                }
                // Deleted meanwhile: claim it again.
                None => {
                    node.names
                        .put(&key, entry.bytes())
                        .await
                        .map_err(|error| cluster_error(format!("could not claim the name: {error}")))?;
                }
            }
        }
        Err(error) => return Err(cluster_error(format!("could not claim the name: {error}"))),
    }
    let subscriber = node
        .client
        .queue_subscribe(entry.subject.clone(), "members".to_owned())
        .await
        .map_err(|error| cluster_error(format!("could not subscribe: {error}")))?;
    node.sync().await.map_err(cluster_error)?;
    // The members share the stream's one consumer: its tells are spread
    // over them, each to one.
    let stream = match wire.durable {
        true => Some(durable::open(node, &key).await.map_err(cluster_error)?),
        false => None,
    };
    let taken = crate::cluster::frame::taken_reply(&node.name, node.incarnation);
    start_serving(
        node,
        key,
        None,
        handle.__addr().clone(),
        wire,
        (subscriber, stream),
        Some(taken),
    );
    Ok(())
}

/// Why a claim failed, before it has a name to report.
enum Claim {
    Taken(Arc<str>),
    Server(String),
}

impl Claim {
    fn named(self, name: &str) -> RegisterError {
        match self {
            Self::Taken(node) => RegisterError::TakenElsewhere {
                name: name.into(),
                node,
            },
            Self::Server(cause) => RegisterError::Cluster {
                name: name.into(),
                cause: cause.into(),
            },
        }
    }
}

async fn claim(node: &Node, key: &str, entry: &Entry) -> Result<u64, Claim> {
    match node.names.create(key, entry.bytes()).await {
        Ok(revision) => return Ok(revision),
        Err(error) if error.kind() == kv::CreateErrorKind::AlreadyExists => {}
        Err(error) => return Err(Claim::Server(format!("could not claim the name: {error}"))),
    }
    let current = node
        .names
        .entry(key)
        .await
        .map_err(|error| Claim::Server(format!("could not read the name: {error}")))?;
    let Some(current) = current else {
        return Err(Claim::Server("the name changed hands meanwhile; try again".into()));
    };
    if let Some(holder) = Entry::read(&current.value) {
        let holder_is_older_me = holder.node == *node.name && holder.incarnation != node.incarnation;
        if !holder_is_older_me && node.probe(&holder.node, holder.incarnation, node.detection).await != Some(false) {
            return Err(Claim::Taken(holder.node.into()));
        }
    }
    node.names
        .update(key, entry.bytes(), current.revision)
        .await
        .map_err(|_| Claim::Server("another node claimed the name meanwhile".into()))
}

/// A handle to the process registered as `name` on another node.
pub(crate) async fn lookup<H: Handle>(
    system: &Arc<SystemInner>,
    node: &Arc<Node>,
    name: &str,
) -> Result<H, LookupError> {
    let not_found = || LookupError::NotFound { name: name.into() };
    let current = node
        .names
        .entry(key(name))
        .await
        .map_err(|error| LookupError::Cluster {
            name: name.into(),
            cause: format!("could not read the name: {error}").into(),
        })?;
    let entry = current.as_ref().and_then(Entry::held).ok_or_else(not_found)?;
    let requested = short_type_name(std::any::type_name::<H>());
    if *requested != *entry.handle_type {
        return Err(LookupError::WrongType {
            name: name.into(),
            requested,
            registered: entry.handle_type.into(),
        });
    }
    let Some(wire) = H::Message::__wire() else {
        return Err(LookupError::NotRemote {
            name: name.into(),
            requested,
        });
    };
    if wire.schema != entry.schema {
        return Err(LookupError::Incompatible {
            name: name.into(),
            node: entry.node.into(),
        });
    }
    if entry.pool {
        let addr = remote_addr(system, node, None, name, entry.subject, entry.durable, wire);
        return Ok(H::__from_addr(addr));
    }
    // Left by an earlier start of this node: this one would have found it
    // in its own registry.
    if entry.node == *node.name {
        return Err(not_found());
    }
    let (peer, new) = node.peer(&entry.node, entry.incarnation);
    if new && node.probe(&entry.node, entry.incarnation, node.detection).await != Some(true) {
        node.peer_down(&peer);
    }
    // A durable process's stream keeps its tells for whoever registers
    // the name next: its handle is worth having while its node is down
    // (its asks fail with `NodeDown`).
    if peer.is_down() && entry.durable.is_none() {
        return Err(not_found());
    }
    let addr = remote_addr(system, node, Some(peer), name, entry.subject, entry.durable, wire);
    Ok(H::__from_addr(addr))
}

/// Releases `name` cluster-wide if this node serves it, and stops serving
/// it.
pub(crate) async fn unregister(node: &Node, name: &str) -> bool {
    node.stop_serving(&key(name)).await
}
