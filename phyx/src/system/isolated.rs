//! What isolated processes (feature `isolated`) need from the system:
//! the cluster a child OS process joins, found from any process of the
//! system; and the refusal to build a system in a child that skipped
//! `phyx::isolated::serve_if_child`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};

use super::System;
use crate::cluster::{ClusterConfig, Node};
use crate::kernel::system::SystemInner;

/// Set in a child OS process's environment, to the parent's process id:
/// "phyx started this program to serve an isolated process". A process
/// whose parent is another (a grandchild that inherited it) is no child.
pub(crate) const CHILD_VAR: &str = "PHYX_ISOLATED_CHILD";

/// Whether this program entered `serve_if_child`: its own system is then
/// the one it builds.
static ENTERED: AtomicBool = AtomicBool::new(false);

/// The cluster of a system that joined one, as its isolated processes'
/// children join it too.
pub(crate) struct Cluster {
    /// Weak: the system's owner holds the node.
    pub(crate) node: Weak<Node>,
    /// What the builder was given: the servers, the namespace, the
    /// credentials and TLS settings a child connects with.
    pub(crate) config: ClusterConfig,
}

/// Records `system`'s cluster, for its isolated processes.
pub(super) fn attach(system: &System, node: &Arc<Node>, config: ClusterConfig) {
    let cluster = Cluster {
        node: Arc::downgrade(node),
        config,
    };
    let _ = system.inner().attached.set(Arc::new(cluster));
}

/// The cluster of the system `inner` belongs to, if it joined one.
pub(crate) fn cluster(inner: &SystemInner) -> Option<&Cluster> {
    inner.attached.get()?.downcast_ref()
}

/// Whether phyx started this OS process to serve an isolated process:
/// `None` if not; `Some(true)` if its parent did; `Some(false)` if its
/// parent is another (it inherited [`CHILD_VAR`] from such a child).
pub(crate) fn started_by_phyx() -> Option<bool> {
    let parent = std::env::var_os(CHILD_VAR)?;
    Some(parent.to_str() == Some(&std::os::unix::process::parent_id().to_string()))
}

/// Marks this program as having entered `serve_if_child`.
pub(crate) fn enter() {
    ENTERED.store(true, Ordering::SeqCst);
}

/// Refuses to build a system in a child that skipped `serve_if_child`:
/// it would run the user's whole program again, as a child, unseen.
pub(super) fn refuse_in_a_child_that_skipped_the_entry() {
    if started_by_phyx().is_some() && !ENTERED.load(Ordering::SeqCst) {
        panic!(
            "this OS process was started by phyx to serve an isolated process, and built a `System` \
             without serving it: call phyx::isolated::serve_if_child at the top of main, before anything else"
        );
    }
}

impl System {
    /// This system's node, if it joined a cluster.
    pub(crate) fn cluster_node(&self) -> Option<&Arc<Node>> {
        self.owner.node.as_ref()
    }
}
