//! `phyx::hide_caught_panics` on a cluster: a `Deserialize` that panics on
//! what arrived from another node is one of the process's caught panics,
//! kept off the hook. Its own test binary: a panic hook is global.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use phyx::prelude::*;
use phyx_testkit::nats::NatsServer;
use serde::{Deserialize, Deserializer, Serialize};

/// Crosses as a byte; 13 does not come out the other side.
#[derive(Serialize)]
struct Unlucky(u8);

impl<'de> Deserialize<'de> for Unlucky {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let byte = u8::deserialize(deserializer)?;
        assert_ne!(byte, 13, "unlucky number");
        Ok(Self(byte))
    }
}

struct Superstitious;

#[process(remote)]
impl Superstitious {
    #[public]
    fn take(&self, number: Unlucky) -> u8 {
        number.0
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deserialize_that_panics_is_a_caught_panic() {
    let Some(server) = NatsServer::start() else { return };
    let reported = Arc::new(Mutex::new(Vec::<String>::new()));
    std::panic::set_hook(Box::new({
        let reported = reported.clone();
        move |info| {
            let message = info.payload_as_str().unwrap_or("a non-string payload").to_owned();
            reported.lock().unwrap().push(message);
        }
    }));
    phyx::hide_caught_panics();
    let node = |name: &'static str| {
        System::builder()
            .node(name)
            .cluster(server.url())
            .detection(Duration::from_millis(900))
            .connect()
    };
    let (a, b) = (node("a").await.unwrap(), node("b").await.unwrap());
    let spawned = a.spawn(|| Superstitious);
    a.register("superstitious", &spawned).await.unwrap();
    let remote: SuperstitiousRef = b.lookup("superstitious").await.unwrap();
    assert_eq!(remote.take(Unlucky(7)).await, Ok(7));
    match remote.take(Unlucky(13)).await {
        Err(phyx::CallError::Transport { reason, .. }) => assert!(reason.contains("unlucky number"), "{reason}"),
        other => panic!("expected Transport, got {other:?}"),
    }
    assert_eq!(remote.take(Unlucky(8)).await, Ok(8));
    a.shutdown().await;
    b.shutdown().await;
    // Copied out first: a failed assertion panics, and the hook takes the
    // lock too.
    let reported = reported.lock().unwrap().clone();
    assert_eq!(reported, Vec::<String>::new());
}
