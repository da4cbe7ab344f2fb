//! TLS between nodes and their server, end to end: a real nats-server
//! that requires TLS, with a certificate authority the test kit makes for
//! it alone (`NatsServerBuilder::tls`).

use std::future::IntoFuture;
use std::path::Path;
use std::time::Duration;

use phyx::SystemBuilder;
use phyx::cluster::ClusterError;
use phyx::prelude::*;
use phyx_testkit::nats::NatsServer;

use crate::fixture::DETECTION;

/// A hang guard, never a timing assertion.
const GUARD: Duration = Duration::from_secs(30);

async fn within<F: IntoFuture>(what: &str, future: F) -> F::Output {
    tokio::time::timeout(GUARD, future.into_future())
        .await
        .unwrap_or_else(|_| panic!("{what} hung: nothing within {GUARD:?}"))
}

fn builder(server: &NatsServer, name: &str) -> SystemBuilder {
    System::builder().node(name).cluster(server.url()).detection(DETECTION)
}

fn trusting(server: &NatsServer, name: &str, ca: &Path) -> SystemBuilder {
    builder(server, name).tls_root_certificate(ca)
}

async fn refusal(builder: SystemBuilder) -> ClusterError {
    match within("connect", builder.connect()).await {
        Ok(_) => panic!("the node joined"),
        Err(error) => error,
    }
}

#[derive(Default)]
struct Counter {
    count: u64,
}

#[process(remote)]
impl Counter {
    #[public]
    fn add(&mut self, by: u64) -> u64 {
        self.count += by;
        self.count
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_that_trust_the_servers_ca_join_over_tls_and_call_across() {
    let Some(server) = NatsServer::builder().tls().start() else {
        return;
    };
    let ca = server.tls_root_certificate().unwrap();
    let a = within("a joining", trusting(&server, "a", ca).connect()).await.unwrap();
    let b = within("b joining", trusting(&server, "b", ca).connect()).await.unwrap();
    let counter = a.spawn(Counter::default);
    within("register", a.register("counter", &counter)).await.unwrap();
    let remote: CounterRef = within("lookup", b.lookup("counter")).await.unwrap();
    assert_eq!(within("an ask over TLS", remote.add(2)).await.unwrap(), 2);
    assert_eq!(within("another", remote.add(3)).await.unwrap(), 5);
    a.shutdown().await;
    b.shutdown().await;
}

/// `error` is the refusal of a TLS handshake with `server`, and says what
/// to do about it: the builder lacks the server's authority (a
/// `Config` error), not "no server answered" (`Unreachable`, whose
/// advice, start a server, would be wrong: one answered).
fn assert_tls_refused(error: &ClusterError, server: &NatsServer, why: &str) {
    let ClusterError::Config { problem, .. } = error else {
        panic!("expected ClusterError::Config, got {error:?}: {error}");
    };
    let text = error.to_string();
    assert!(
        problem.starts_with(&format!(
            "the TLS handshake with the NATS server at {} failed (",
            server.url()
        )),
        "{text}"
    );
    assert!(problem.contains(why), "{text}");
    assert!(problem.contains("`.tls_root_certificate(\"ca.pem\")`"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_without_the_servers_ca_is_refused_with_an_error_that_says_to_give_it() {
    let Some(server) = NatsServer::builder().tls().start() else {
        return;
    };
    let error = refusal(builder(&server, "no-ca")).await;
    assert_tls_refused(&error, &server, "UnknownIssuer");
    eprintln!("without the CA: {error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_trusts_another_ca_is_refused_the_same_way() {
    let (Some(server), Some(other)) = (NatsServer::builder().tls().start(), NatsServer::builder().tls().start()) else {
        return;
    };
    let error = refusal(trusting(&server, "wrong-ca", other.tls_root_certificate().unwrap())).await;
    assert_tls_refused(&error, &server, "invalid peer certificate");
    eprintln!("with another CA: {error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_requires_tls_is_refused_by_a_server_without_it() {
    let (Some(plain), Some(tls)) = (NatsServer::start(), NatsServer::builder().tls().start()) else {
        return;
    };
    let error = refusal(trusting(&plain, "plain", tls.tls_root_certificate().unwrap())).await;
    assert_tls_refused(&error, &plain, "");
    assert!(error.to_string().contains("TLS on"), "{error}");
    eprintln!("TLS required, server without: {error}");
}
