//! Nodes of one cluster on a real nats-server (started by the test kit on
//! a free loopback port): the same handle, the same calls and errors,
//! across systems.

#[path = "cluster/calls.rs"]
mod calls;
#[path = "cluster/fixture.rs"]
mod fixture;
#[path = "cluster/security.rs"]
mod security;
