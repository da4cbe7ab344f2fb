//! A gossip cache: three cache nodes connected as peers. A write goes to
//! one node, which gossips it to its peers. Each entry carries a version (a
//! Lamport clock, then the writer's name to break ties) and the newer
//! version wins. Every node also gossips all it holds every 200 ms: that
//! is how `node3`, connected after the first writes, catches up.
//!
//! Run with `cargo run --example gossip_cache`.

use std::collections::BTreeMap;
use std::time::Duration;

use phyx::prelude::*;
use phyx::{CallError, SendError};

pub const GOSSIP_EVERY: Duration = Duration::from_millis(200);

/// Ordered by clock, then by node: the greater version is the newer.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    pub clock: u64,
    pub node: String,
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub value: String,
    pub version: Version,
}

pub struct CacheNode {
    name: String,
    clock: u64,
    data: BTreeMap<String, Entry>,
    peers: Vec<CacheNodeRef>,
}

impl CacheNode {
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            clock: 0,
            data: BTreeMap::new(),
            peers: Vec::new(),
        }
    }

    fn tell_peers(&self, key: &str, entry: &Entry) {
        for peer in &self.peers {
            // A peer that misses this catches up at the next full gossip.
            let _ = peer.gossip(key.to_owned(), entry.clone()).send();
        }
    }
}

#[process]
impl CacheNode {
    #[on_start]
    fn schedule_gossip(&mut self, ctx: &mut Ctx<Self>) -> Result<(), SendError> {
        ctx.myself().gossip_all().send_after(GOSSIP_EVERY)?;
        Ok(())
    }

    #[public]
    pub fn connect(&mut self, peer: CacheNodeRef) {
        self.peers.push(peer);
    }

    /// Writes `key` here and gossips it to the peers.
    #[public]
    pub fn set(&mut self, key: String, value: String) -> Version {
        self.clock += 1;
        let version = Version {
            clock: self.clock,
            node: self.name.clone(),
        };
        let entry = Entry { value, version };
        self.tell_peers(&key, &entry);
        self.data.insert(key, entry.clone());
        entry.version
    }

    #[public]
    pub fn get(&self, key: String) -> Option<String> {
        self.data.get(&key).map(|entry| entry.value.clone())
    }

    /// A peer's entry: kept if it is newer than ours.
    #[public]
    pub fn gossip(&mut self, key: String, entry: Entry) {
        self.clock = self.clock.max(entry.version.clock);
        if self.data.get(&key).is_none_or(|ours| entry.version > ours.version) {
            let Version { clock, node } = &entry.version;
            println!("{}: {key} = {:?} (v{clock} by {node})", self.name, entry.value);
            self.data.insert(key, entry);
        }
    }

    /// Gossips every entry to every peer, and schedules the next round.
    #[public]
    pub fn gossip_all(&mut self, ctx: &mut Ctx<Self>) -> Result<(), SendError> {
        for (key, entry) in &self.data {
            self.tell_peers(key, entry);
        }
        ctx.myself().gossip_all().send_after(GOSSIP_EVERY)?;
        Ok(())
    }

    /// Every key and its value.
    #[public]
    pub fn snapshot(&self) -> BTreeMap<String, String> {
        let values = self.data.iter().map(|(key, entry)| (key.clone(), entry.value.clone()));
        values.collect()
    }
}

#[derive(Debug)]
pub struct Summary {
    /// What `node3` held right after the writes, before any full gossip.
    pub node3_before_gossip: BTreeMap<String, String>,
    /// What each node holds after a round of full gossip.
    pub nodes: Vec<BTreeMap<String, String>>,
}

pub async fn run(system: &System) -> Result<Summary, CallError> {
    let [node1, node2, node3] = ["node1", "node2", "node3"].map(|name| system.spawn(move || CacheNode::new(name)));
    node1.connect(node2.clone()).await?;
    node2.connect(node1.clone()).await?;

    node1.set("user:alice".into(), "Alice".into()).await?;
    node2.set("user:bob".into(), "Bob".into()).await?;

    println!("node3 joins");
    for (a, b) in [(&node3, &node1), (&node3, &node2), (&node1, &node3), (&node2, &node3)] {
        a.connect(b.clone()).await?;
    }
    node3.set("user:charlie".into(), "Charlie".into()).await?;
    // node2 has seen node1's write, so its version is newer: it wins.
    node2.set("user:alice".into(), "Alice Liddell".into()).await?;
    let node3_before_gossip = node3.snapshot().await?;
    println!("node3 before any full gossip: {node3_before_gossip:?}");

    system.clock().sleep(GOSSIP_EVERY + GOSSIP_EVERY / 2).await;
    let mut nodes = Vec::new();
    for (name, node) in [("node1", &node1), ("node2", &node2), ("node3", &node3)] {
        let snapshot = node.snapshot().await?;
        println!("{name}: {snapshot:?}");
        nodes.push(snapshot);
    }
    Ok(Summary {
        node3_before_gossip,
        nodes,
    })
}

#[tokio::main]
async fn main() -> Result<(), CallError> {
    let system = System::new();
    run(&system).await?;
    system.shutdown().await;
    Ok(())
}
