//! Joining a cluster: what the builder needs, and the errors that say what
//! is missing. None of these waits longer than the connect timeout.

use std::time::Duration;

use phyx::System;
use phyx::cluster::ClusterError;

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

async fn refusal(builder: phyx::SystemBuilder) -> ClusterError {
    match builder.connect().await {
        Ok(_) => panic!("the builder joined a cluster"),
        Err(error) => error,
    }
}

#[tokio::test]
async fn connecting_to_nothing_is_an_error_that_names_the_address() {
    let url = format!("nats://127.0.0.1:{}", closed_port());
    let error = refusal(
        System::builder()
            .node("alone")
            .cluster(&url)
            .detection(Duration::from_millis(500)),
    )
    .await;
    assert!(matches!(error, ClusterError::Unreachable { .. }), "{error:?}");
    let text = error.to_string();
    assert!(text.contains(&url), "{text}");
    assert!(text.contains("nats-server -js"), "{text}");
}

#[tokio::test]
async fn a_builder_without_a_name_or_a_server_says_which_call_is_missing() {
    let error = refusal(System::builder().cluster("nats://127.0.0.1:4222")).await;
    assert!(error.to_string().contains("call `.node(\"orders-1\")`"), "{error}");
    let error = refusal(System::builder().node("a")).await;
    assert!(
        error.to_string().contains("call `.cluster(\"nats://127.0.0.1:4222\")`"),
        "{error}"
    );
}

#[tokio::test]
async fn names_that_cannot_be_subjects_are_refused_before_connecting() {
    for bad in ["", "a.b", "a b", "*", ">"] {
        let error = refusal(System::builder().node(bad).cluster("nats://127.0.0.1:1")).await;
        assert!(matches!(error, ClusterError::Config { .. }), "{bad:?}: {error:?}");
        let error = refusal(
            System::builder()
                .node("ok")
                .namespace(bad)
                .cluster("nats://127.0.0.1:1"),
        )
        .await;
        assert!(matches!(error, ClusterError::Config { .. }), "{bad:?}: {error:?}");
    }
    let error = refusal(System::builder().node("ok").cluster("not a url at all")).await;
    assert!(matches!(error, ClusterError::Config { .. }), "{error:?}");
    let error = refusal(
        System::builder()
            .node("ok")
            .cluster("nats://127.0.0.1:1")
            .detection(Duration::from_millis(10)),
    )
    .await;
    assert!(error.to_string().contains("100ms or more"), "{error}");
}
