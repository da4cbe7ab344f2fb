//! How a node learns that another one went away, within its detection
//! time `D` (`SystemBuilder::detection`, 3 s by default):
//!
//! - **Shut down**: the leaving node says so on the leave subject; its
//!   peers fail its asks at once.
//! - **Killed** (its process dies, its TCP connection closes): the server
//!   drops its subscriptions at once, so the next probe, or the next ask
//!   to it, gets "no responders" within a millisecond. Probes run every
//!   `D / 3`: detected within `D / 3` plus a round trip.
//! - **Partitioned** (its connection silent but open): probes go
//!   unanswered; after `D` without an answer it is down. Each probe waits
//!   for its answer until then, so a slow link whose round trip is under
//!   `D` (not only under `D / 3`) keeps a live peer up.
//!
//! Probes and their deadlines run on the system's `Clock`, like every
//! phyx timer; only the NATS client's own wait for one probe's answer is
//! on tokio's time.
//!
//! A node probes only the nodes it holds handles to or has asks in flight
//! to: one small request per such node every `D / 3`. Once it has
//! neither, it forgets the node until a lookup finds it again.

use std::sync::{Arc, Weak};
use std::time::Duration;

use crate::cluster::node::{Node, Peer};

/// How often a peer is probed, for a detection time of `detection`.
pub(crate) fn probe_interval(detection: Duration) -> Duration {
    detection / 3
}

/// Starts probing `peer` from `node`, until it is down or `node` leaves.
pub(crate) fn watch(node: &Arc<Node>, peer: Arc<Peer>) {
    let task = tokio::spawn(probe(Arc::downgrade(node), peer));
    node.keep(task);
}

async fn probe(node: Weak<Node>, peer: Arc<Peer>) {
    let Some((detection, clock)) = node.upgrade().map(|node| (node.detection, node.clock.clone())) else {
        return;
    };
    let interval = probe_interval(detection);
    let mut last_answer = clock.now();
    loop {
        clock.sleep(interval).await;
        let Some(node) = node.upgrade() else { return };
        if peer.is_down() || node.has_left() || node.forget_if_idle(&peer) {
            return;
        }
        // A probe waits for its answer until the peer's time is up, not
        // just until the next one is due: across a slow link every answer
        // can come later than `interval` and still well within `detection`,
        // and a late answer is an answer (with `interval`, a round trip
        // over `D / 3` made a live peer down). A silent peer is down
        // `detection` after its last answer either way.
        let left = detection.saturating_sub(clock.now().duration_since(last_answer));
        match node.probe(&peer.name, peer.incarnation, left.max(interval)).await {
            Some(true) => last_answer = clock.now(),
            Some(false) => return node.peer_down(&peer),
            None if clock.now().duration_since(last_answer) >= detection => return node.peer_down(&peer),
            None => {}
        }
    }
}
