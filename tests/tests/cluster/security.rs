//! Who gets into a cluster, what one cluster sees of another on the same
//! server, what a stranger's bytes on a process's subject can do (nothing
//! but be dropped and counted), and the largest message.
//!
//! The stranger is a plain NATS client. It learns a process's subject and
//! schema by watching a real call go by, and writes its own frames as
//! `phyx/src/cluster/frame.rs` lays them out:
//!
//! ```text
//! request: version (1) | kind (1) | schema (8, LE) | method (2, LE) | arguments (postcard)
//! reply:   status (1) | value, or a UTF-8 sentence
//! ```

use std::future::{IntoFuture, poll_fn};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_core::Stream;
use phyx::SystemBuilder;
use phyx::cluster::{ClusterError, Credentials};
use phyx::event::{Event, EventKind};
use phyx::prelude::*;
use phyx::{LookupError, RegisterError, StopReason};
use phyx_testkit::nats::NatsServer;
use serde::{Deserialize, Deserializer, Serialize};

use crate::fixture::{DETECTION, server};

/// A hang guard, never a timing assertion: what takes this long is stuck.
const GUARD: Duration = Duration::from_secs(10);

// The frame layout (`frame.rs`).
const HEADER: usize = 12;
const VERSION: u8 = 1;
const TELL: u8 = 0;
const ASK: u8 = 1;
const TELL_WAIT: u8 = 2;
const STOP: u8 = 3;
const VALUE: u8 = 0;
const TRANSPORT: u8 = 7;

/// Node `name` of cluster `namespace` on `server`, not yet joined.
fn builder(server: &NatsServer, namespace: &str, name: &str) -> SystemBuilder {
    System::builder()
        .node(name)
        .cluster(server.url())
        .namespace(namespace)
        .detection(DETECTION)
}

async fn connect(builder: SystemBuilder) -> Result<System, ClusterError> {
    within("connect", builder.connect()).await
}

async fn joined(builder: SystemBuilder) -> System {
    connect(builder)
        .await
        .unwrap_or_else(|error| panic!("the node did not join: {error}"))
}

/// `future`'s output; fails the test, saying `what` hung, if it takes
/// [`GUARD`].
async fn within<F: IntoFuture>(what: &str, future: F) -> F::Output {
    tokio::time::timeout(GUARD, future.into_future())
        .await
        .unwrap_or_else(|_| panic!("{what} hung: nothing within {GUARD:?}"))
}

/// The events of one node, as its `on_event` sink saw them.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<EventKind>>>);

impl Seen {
    fn sink(&self) -> impl Fn(&Event) + Send + Sync + 'static {
        let seen = self.clone();
        move |event: &Event| seen.0.lock().unwrap().push(event.kind.clone())
    }

    /// The reasons of the `WireRejected` events, in order.
    fn wire_rejections(&self) -> Vec<String> {
        let seen = self.0.lock().unwrap();
        seen.iter()
            .filter_map(|kind| match kind {
                EventKind::WireRejected { reason, .. } => Some(reason.to_string()),
                _ => None,
            })
            .collect()
    }

    fn mailbox_rejections(&self) -> usize {
        let seen = self.0.lock().unwrap();
        seen.iter()
            .filter(|kind| matches!(kind, EventKind::MessageRejected { .. }))
            .count()
    }

    /// Panics, restarts and stops.
    fn crashes(&self) -> Vec<String> {
        let seen = self.0.lock().unwrap();
        seen.iter()
            .filter(|kind| {
                matches!(
                    kind,
                    EventKind::Panicked { .. }
                        | EventKind::StartFailed { .. }
                        | EventKind::Restarting { .. }
                        | EventKind::Stopped { .. }
                )
            })
            .map(|kind| format!("{kind:?}"))
            .collect()
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

// Who gets in. A refused node gets no `System`: there is nothing to
// register with or look up from.

/// `error` is `Refused` by the server at `url`, and says what to do.
fn assert_refused(error: &ClusterError, url: &str) {
    let ClusterError::Refused {
        url: refused_at, cause, ..
    } = error
    else {
        panic!("expected ClusterError::Refused, got {error:?}");
    };
    assert_eq!(&**refused_at, url);
    assert!(cause.contains("authorization violation"), "{cause}");
    assert_eq!(
        error.to_string(),
        format!("the NATS server at {url} refused this node ({cause}); give the builder the cluster's credentials")
    );
}

/// Each of `attempts` is refused by `server`, with a clear error.
async fn all_refused(server: &NatsServer, attempts: Vec<(&str, Option<Credentials>)>) {
    for (what, credentials) in attempts {
        let mut node = builder(server, "default", "a");
        if let Some(credentials) = credentials {
            node = node.credentials(credentials);
        }
        match connect(node).await {
            Ok(_) => panic!("a node with {what} joined"),
            Err(error) => assert_refused(&error, &server.url()),
        }
    }
}

/// Nodes `a` and `b` with these credentials join, and call each other.
async fn both_join_and_call(server: &NatsServer, a: Credentials, b: Credentials) {
    // `a`: the name every refused attempt tried, and did not claim.
    let a = joined(builder(server, "default", "a").credentials(a)).await;
    let b = joined(builder(server, "default", "b").credentials(b)).await;
    let counter = a.spawn(Counter::default);
    a.register("counter", &counter).await.unwrap();
    let remote: CounterRef = b.lookup("counter").await.unwrap();
    assert_eq!(within("an ask", remote.add(2)).await.unwrap(), 2);
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_nodes_with_a_users_password_join() {
    let Some(server) = NatsServer::builder()
        .user("orders", "s3cret")
        .user("billing", "hunter2")
        .start()
    else {
        return;
    };
    all_refused(
        &server,
        vec![
            ("no credentials", None),
            ("a wrong password", Some(Credentials::user_password("orders", "guess"))),
            (
                "another user's password",
                Some(Credentials::user_password("orders", "hunter2")),
            ),
            ("an unknown user", Some(Credentials::user_password("mallory", "s3cret"))),
            ("a token", Some(Credentials::Token("s3cret".into()))),
        ],
    )
    .await;
    both_join_and_call(
        &server,
        Credentials::user_password("orders", "s3cret"),
        Credentials::user_password("billing", "hunter2"),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_nodes_with_the_token_join() {
    let Some(server) = NatsServer::builder().token("t0ken-of-the-cluster").start() else {
        return;
    };
    all_refused(
        &server,
        vec![
            ("no credentials", None),
            ("a wrong token", Some(Credentials::Token("t0ken-of-another".into()))),
            (
                "a user and password",
                Some(Credentials::user_password(
                    "t0ken-of-the-cluster",
                    "t0ken-of-the-cluster",
                )),
            ),
        ],
    )
    .await;
    let token = || Credentials::Token("t0ken-of-the-cluster".into());
    both_join_and_call(&server, token(), token()).await;
}

/// `node` is refused before it connects, with a problem that starts with
/// `names`.
async fn a_config_error(node: SystemBuilder, names: &str) {
    match connect(node).await {
        Ok(_) => panic!("a node joined with a file that does not exist"),
        Err(ClusterError::Config { problem, .. }) => assert!(problem.starts_with(names), "{problem}"),
        Err(other) => panic!("expected ClusterError::Config, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_tls_root_certificate_is_named_not_blamed_on_the_server() {
    let Some(server) = server() else { return };
    let missing = std::env::temp_dir().join("phyx-security-test-no-such-ca.pem");
    let node = builder(&server, "default", "a").tls_root_certificate(&missing);
    let names = format!("cannot read the TLS root certificate {}: ", missing.display());
    a_config_error(node, &names).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_credentials_file_is_named() {
    let Some(server) = server() else { return };
    let missing = std::env::temp_dir().join("phyx-security-test-no-such.creds");
    let node = builder(&server, "default", "a").credentials(Credentials::File(missing.clone()));
    let names = format!("cannot read the credentials file {}: ", missing.display());
    a_config_error(node, &names).await;
}

// Two clusters on one server.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clusters_in_two_namespaces_share_a_server_without_seeing_each_other() {
    let Some(server) = server() else { return };
    // The same node names in both.
    let blue_a = joined(builder(&server, "blue", "a")).await;
    let blue_b = joined(builder(&server, "blue", "b")).await;
    let green_a = joined(builder(&server, "green", "a")).await;
    let green_b = joined(builder(&server, "green", "b")).await;

    let blue_counter = blue_a.spawn(Counter::default);
    blue_a.register("counter", &blue_counter).await.unwrap();
    match green_b.lookup::<CounterRef>("counter").await {
        Err(LookupError::NotFound { name, .. }) => assert_eq!(&*name, "counter"),
        other => panic!("expected NotFound from green, got {other:?}"),
    }

    let green_counter = green_a.spawn(Counter::default);
    match green_a.register("counter", &green_counter).await {
        Ok(()) => {}
        Err(RegisterError::TakenElsewhere { node, .. }) => panic!("green's `counter` is taken by blue's node {node}"),
        Err(error) => panic!("green could not register `counter`: {error}"),
    }

    let blue: CounterRef = blue_b.lookup("counter").await.unwrap();
    let green: CounterRef = green_b.lookup("counter").await.unwrap();
    assert_eq!(within("an ask", blue.add(1)).await.unwrap(), 1);
    assert_eq!(within("an ask", green.add(100)).await.unwrap(), 100);
    assert_eq!(blue_counter.add(0).await.unwrap(), 1);
    assert_eq!(green_counter.add(0).await.unwrap(), 100);

    // Blue's `a` leaving is not green's `a` leaving.
    blue_a.shutdown().await;
    assert_eq!(within("an ask", green.add(1)).await.unwrap(), 101);
    for node in [blue_b, green_a, green_b] {
        node.shutdown().await;
    }
}

// A stranger's bytes.

/// A client of the cluster's server that is no node: it publishes what it
/// likes on one process's subject.
struct Stranger {
    client: async_nats::Client,
    subject: String,
    /// The header of a real request to the process: its schema is the one
    /// to match.
    header: Vec<u8>,
}

async fn next(subscriber: &mut async_nats::Subscriber) -> Option<async_nats::Message> {
    poll_fn(|cx| Pin::new(&mut *subscriber).poll_next(cx)).await
}

impl Stranger {
    /// Connects to `server`, and finds the process of cluster `namespace`
    /// that `call` reaches by watching the call go by; `call`'s output.
    async fn watching<F: IntoFuture>(server: &NatsServer, namespace: &str, call: F) -> (Self, F::Output) {
        let client = within("the stranger's connect", async_nats::connect(server.url()))
            .await
            .expect("the stranger could not connect");
        let mut watch = client.subscribe(format!("phyx.{namespace}.p.*")).await.unwrap();
        // async-nats's `flush` only writes: a message echoed back through
        // the server tells that the server has the subscription.
        let echo = client.new_inbox();
        let mut echoed = client.subscribe(echo.clone()).await.unwrap();
        client.publish(echo, Vec::new().into()).await.unwrap();
        within("the stranger's echo", next(&mut echoed)).await.unwrap();
        let output = within("the watched call", call).await;
        let request = within("the watched request", next(&mut watch))
            .await
            .expect("the stranger's subscription ended");
        watch.unsubscribe().await.unwrap();
        let payload = request.payload.to_vec();
        assert!(
            payload.len() >= HEADER && payload[0] == VERSION,
            "not a request: {payload:?}"
        );
        let stranger = Self {
            client,
            subject: request.subject.to_string(),
            header: payload[..HEADER].to_vec(),
        };
        (stranger, output)
    }

    /// A request of `kind` for method number `method`, `args` after the
    /// header.
    fn frame(&self, kind: u8, method: u16, args: &[u8]) -> Vec<u8> {
        let mut frame = self.header.clone();
        frame[1] = kind;
        frame[10..12].copy_from_slice(&method.to_le_bytes());
        frame.extend_from_slice(args);
        frame
    }

    /// Publishes `frame` with no reply subject.
    async fn publish(&self, frame: Vec<u8>) {
        self.client
            .publish(self.subject.clone(), frame.into())
            .await
            .expect("the stranger could not publish");
    }

    /// Publishes `frame` with a reply subject nobody listens on.
    async fn publish_answer_elsewhere(&self, frame: Vec<u8>) {
        self.client
            .publish_with_reply(self.subject.clone(), "stranger.nowhere", frame.into())
            .await
            .expect("the stranger could not publish");
    }

    /// Publishes `frame` with a reply subject, and waits for the answer.
    /// Behind every frame it published before: one connection, one
    /// subject, one serving task, in order.
    async fn request(&self, frame: Vec<u8>) -> Vec<u8> {
        within(
            "the answer to the stranger",
            self.client.request(self.subject.clone(), frame.into()),
        )
        .await
        .expect("no answer to the stranger")
        .payload
        .to_vec()
    }
}

/// SplitMix64: seeded, so that a failing run replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

/// An argument that panics on any bytes it is decoded from, as a
/// hand-written `Deserialize` that trusts its input may.
#[derive(Serialize)]
struct Touchy;

impl<'de> Deserialize<'de> for Touchy {
    fn deserialize<D: Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
        panic!("a touchy type met bytes");
    }
}

#[derive(Default)]
struct Vault {
    total: u64,
}

// Method numbers: declaration order.
const ADD: u16 = 0;
const TOTAL: u16 = 1;
const TOUCH: u16 = 2;

#[process(remote)]
impl Vault {
    #[public]
    fn add(&mut self, by: u64) -> u64 {
        self.total += by;
        self.total
    }

    #[public]
    fn total(&self) -> u64 {
        self.total
    }

    #[public]
    fn touch(&self, _touchy: Touchy) -> bool {
        true
    }
}

/// `frame` with byte `at` set to `value`.
fn with(mut frame: Vec<u8>, at: usize, value: u8) -> Vec<u8> {
    frame[at] = value;
    frame
}

type Flawed<'a> = Box<dyn Fn(u8) -> Vec<u8> + 'a>;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_strangers_bad_frames_are_dropped_counted_and_answered() {
    let Some(server) = server() else { return };
    let seen = Seen::default();
    let a = joined(builder(&server, "default", "a").on_event(seen.sink())).await;
    let b = joined(builder(&server, "default", "b")).await;
    let vault = a.spawn(Vault::default);
    a.register("vault", &vault).await.unwrap();
    let remote: VaultRef = b.lookup("vault").await.unwrap();
    let (stranger, added) = Stranger::watching(&server, "default", remote.add(5)).await;
    assert_eq!(added.unwrap(), 5);
    // The stranger's frames are right but for each case's flaw: without
    // one, it is answered.
    assert_eq!(stranger.request(stranger.frame(ASK, TOTAL, &[])).await, [VALUE, 5]);

    let random = Rng(0x5eed).bytes(64);
    assert_ne!(
        random[0], VERSION,
        "the random bytes are to fail from their first byte on"
    );
    let random_args = Rng(0xa565).bytes(32);
    // (what, a part of the reason, the frame of a kind)
    let cases: Vec<(&str, &str, Flawed<'_>)> = vec![
        (
            "an empty message",
            "a request of 0 bytes is shorter than its 12-byte header",
            Box::new(|_| Vec::new()),
        ),
        (
            "a truncated header",
            "a request of 7 bytes is shorter",
            Box::new(|kind| stranger.frame(kind, ADD, &[1])[..7].to_vec()),
        ),
        (
            "another frame version",
            "frame version 2 is not 1",
            Box::new(|kind| with(stranger.frame(kind, ADD, &[1]), 0, 2)),
        ),
        (
            "an unknown kind",
            "unknown request kind 9",
            Box::new(|_| with(stranger.frame(ASK, ADD, &[1]), 1, 9)),
        ),
        (
            "another build's schema",
            "has other methods",
            Box::new(|kind| with(stranger.frame(kind, ADD, &[1]), 2, stranger.header[2] ^ 1)),
        ),
        (
            "an unknown method number",
            "no method number 77",
            Box::new(|kind| stranger.frame(kind, 77, &[])),
        ),
        (
            "truncated arguments",
            "could not decode a `u64`",
            Box::new(|kind| stranger.frame(kind, ADD, &[0x80])),
        ),
        (
            "trailing bytes",
            "1 bytes left after the last argument",
            Box::new(|kind| stranger.frame(kind, ADD, &[1, 0])),
        ),
        // A `u64` is at most 10 bytes: 32 always leave some over, or fail.
        (
            "random arguments",
            "",
            Box::new(|kind| stranger.frame(kind, ADD, &random_args)),
        ),
        ("random bytes", "", Box::new(|_| random.clone())),
        (
            "a `Deserialize` that panics",
            "decoding method number 2 panicked: a touchy type met bytes",
            Box::new(|kind| stranger.frame(kind, TOUCH, &[])),
        ),
    ];

    let mut expected = Vec::new();
    for (what, reason, frame) in &cases {
        stranger.publish(frame(TELL)).await;
        expected.push((*what, *reason));
        let answer = stranger.request(frame(ASK)).await;
        let text = String::from_utf8_lossy(answer.get(1..).unwrap_or_default());
        assert_eq!(answer.first(), Some(&TRANSPORT), "{what}: answered {answer:?} ({text})");
        assert!(text.contains(reason), "{what}: answered {text:?}");
        expected.push((*what, *reason));
    }
    stranger.publish(stranger.frame(ASK, TOTAL, &[])).await;
    expected.push(("an ask with nowhere to answer", "an ask without a reply subject"));
    // A handle's stop always asks (to hear that the process stopped).
    stranger.publish(stranger.frame(STOP, 0, &[])).await;
    expected.push(("a stop with nowhere to answer", "a stop without a reply subject"));

    // Once this is answered, the serving task took every frame before it.
    assert_eq!(stranger.request(stranger.frame(ASK, TOTAL, &[])).await, [VALUE, 5]);
    let rejected = seen.wire_rejections();
    assert_eq!(rejected.len(), expected.len(), "counted: {rejected:#?}");
    for ((what, reason), counted) in expected.iter().zip(&rejected) {
        assert!(counted.contains(reason), "{what}: counted as {counted:?}");
    }
    assert_eq!(seen.crashes(), Vec::<String>::new());
    // Its state intact, and working, through the node and locally.
    assert_eq!(within("an ask", remote.total()).await.unwrap(), 5);
    assert_eq!(within("an ask", remote.add(1)).await.unwrap(), 6);
    assert_eq!(vault.total().await.unwrap(), 6);
    // A handle's stop, which asks, still stops it.
    within("a stop across nodes", remote.stop()).await;
    assert_eq!(within("the stop", vault.stopped()).await, StopReason::Shutdown);
    a.shutdown().await;
    b.shutdown().await;
}

#[derive(Default)]
struct Tally {
    handled: u64,
}

const HIT: u16 = 0;
const HANDLED: u16 = 1;

#[process(remote)]
impl Tally {
    #[public]
    fn hit(&mut self, _any: u64) {
        self.handled += 1;
    }

    /// Counts itself too.
    #[public]
    fn handled(&mut self) -> u64 {
        self.handled += 1;
        self.handled
    }
}

/// One input: a frame of `hit`, fully random, damaged or as it is; to be
/// sent with a reply subject if `answered`.
fn fuzz_frame(rng: &mut Rng, stranger: &Stranger, answered: bool) -> Vec<u8> {
    let kind = [TELL, ASK, TELL_WAIT][rng.below(3)];
    let valid = stranger.frame(kind, HIT, &postcard::to_stdvec(&rng.next()).unwrap());
    let mut frame = match rng.below(6) {
        0 => {
            let len = rng.below(48);
            rng.bytes(len)
        }
        1 => valid,
        2 => {
            let mut flipped = valid;
            for _ in 0..=rng.below(3) {
                let bit = rng.below(flipped.len() * 8);
                flipped[bit / 8] ^= 1 << (bit % 8);
            }
            flipped
        }
        3 => {
            let cut = rng.below(valid.len());
            valid[..cut].to_vec()
        }
        4 => {
            let mut extended = valid;
            let more = 1 + rng.below(8);
            extended.extend(rng.bytes(more));
            extended
        }
        _ => {
            let method = rng.below(4) as u16;
            let len = rng.below(12);
            stranger.frame(kind, method, &rng.bytes(len))
        }
    };
    // A stop with a reply subject is not bad input: it is how a handle
    // stops its process, and would stop this one.
    if answered && frame.len() >= HEADER && frame[0] == VERSION && frame[1] == STOP {
        frame[1] = 0xff;
    }
    frame
}

fn from_env<T: std::str::FromStr>(name: &str) -> Option<T> {
    std::env::var(name).ok().and_then(|value| value.trim().parse().ok())
}

/// What `Tally::handled` answers the stranger: after every frame it sent
/// before.
async fn handled(stranger: &Stranger) -> u64 {
    let answer = stranger.request(stranger.frame(ASK, HANDLED, &[])).await;
    assert_eq!(answer.first(), Some(&VALUE), "{answer:?}");
    postcard::from_bytes(&answer[1..]).unwrap()
}

/// Random frames, and damaged copies of a real one, published on a
/// process's subject: each is either handled or dropped and counted,
/// nothing vanishes, nothing crashes the process. `PHYX_FUZZ_INPUTS`
/// sets how many (5,000 by default), `PHYX_SEED` the seed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_and_damaged_frames_are_each_handled_or_counted() {
    let Some(server) = server() else { return };
    let inputs: usize = from_env("PHYX_FUZZ_INPUTS").unwrap_or(5_000);
    let seed: u64 = from_env("PHYX_SEED").unwrap_or(0x0bad_f00d);
    let seen = Seen::default();
    let a = joined(builder(&server, "default", "a").on_event(seen.sink())).await;
    let b = joined(builder(&server, "default", "b")).await;
    let tally = a.spawn(Tally::default);
    a.register("tally", &tally).await.unwrap();
    let remote: TallyRef = b.lookup("tally").await.unwrap();
    let (stranger, hit) = Stranger::watching(&server, "default", remote.hit(0)).await;
    hit.unwrap();

    let before = handled(&stranger).await;
    let (mut counts, mut last) = (0, before);
    let mut rng = Rng(seed);
    for sent in 1..=inputs {
        let answered = rng.below(2) == 1;
        let frame = fuzz_frame(&mut rng, &stranger, answered);
        if answered {
            stranger.publish_answer_elsewhere(frame).await;
        } else {
            stranger.publish(frame).await;
        }
        // Now and then, so that the mailbox never fills.
        if sent % 256 == 0 || sent == inputs {
            let now = handled(&stranger).await;
            counts += 1;
            assert!(
                now > last,
                "seed {seed}: the count went from {last} to {now}: a restart"
            );
            last = now;
        }
    }
    let handled = usize::try_from(last - before - counts).unwrap();
    let rejected = seen.wire_rejections().len();
    let full = seen.mailbox_rejections();
    eprintln!(
        "fuzzed {inputs} frames (seed {seed}): {handled} handled, {rejected} dropped and counted, {full} refused by a full mailbox"
    );
    assert_eq!(
        handled + rejected + full,
        inputs,
        "seed {seed}: of {inputs} frames, {handled} were handled, {rejected} counted as rejected, {full} refused by a full mailbox"
    );
    assert!(
        handled > 0 && rejected > 0,
        "seed {seed}: the inputs are to be both good and bad"
    );
    assert_eq!(seen.crashes(), Vec::<String>::new(), "seed {seed}");
    assert_eq!(within("an ask", remote.handled()).await.unwrap(), last + 1);
    a.shutdown().await;
    b.shutdown().await;
}

// The largest message.

/// The server's `max_payload` in these tests.
const MAX: usize = 4096;

#[derive(Default)]
struct Shelf {
    kept: usize,
}

#[process(remote)]
impl Shelf {
    #[public]
    fn keep(&mut self, bytes: Vec<u8>) -> usize {
        self.kept += bytes.len();
        self.kept
    }

    #[public]
    fn make(&self, len: usize) -> Vec<u8> {
        vec![7; len]
    }
}

/// `reason` says how large the message was, and the maximum.
fn assert_sizes(reason: &str, size: usize) {
    let numbers: Vec<usize> = reason
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|number| number.parse().ok())
        .collect();
    assert!(
        numbers.contains(&size) && numbers.contains(&MAX),
        "{reason:?} does not name {size} and {MAX}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_over_the_servers_maximum_fails_at_the_caller() {
    let Some(server) = NatsServer::builder().max_payload(MAX as u32).start() else {
        return;
    };
    let a = joined(builder(&server, "default", "a")).await;
    let b = joined(builder(&server, "default", "b")).await;
    let shelf = a.spawn(Shelf::default);
    a.register("shelf", &shelf).await.unwrap();
    let remote: ShelfRef = b.lookup("shelf").await.unwrap();

    // A request is a 12-byte header, a 2-byte length and the bytes:
    // 4,082 of them make the maximum, which passes.
    assert_eq!(within("an ask", remote.keep(vec![1; 4082])).await.unwrap(), 4082);
    let over = vec![1; 4083];
    let error = within("an ask", remote.keep(over.clone()))
        .await
        .expect_err("an ask over the maximum crossed");
    let CallError::Transport { reason, .. } = &error else {
        panic!("expected CallError::Transport, got {error:?}");
    };
    assert_sizes(reason, 4097);
    assert!(error.to_string().contains("could not cross the cluster"), "{error}");
    match remote.keep(over.clone()).send() {
        Err(SendError::Transport { reason, .. }) => assert_sizes(&reason, 4097),
        other => panic!("expected SendError::Transport, got {other:?}"),
    }
    match within("a send_wait", remote.keep(over).send_wait()).await {
        Err(SendError::Transport { reason, .. }) => assert_sizes(&reason, 4097),
        other => panic!("expected SendError::Transport, got {other:?}"),
    }
    // None of them reached it.
    assert_eq!(shelf.keep(Vec::new()).await.unwrap(), 4082);

    // A reply is a status byte, a 2-byte length and the bytes: 4,093 of
    // them make the maximum.
    let made = within("an ask", remote.make(4093)).await;
    assert_eq!(made.map(|made| made.len()), Ok(4093));
    // One byte over: the server would refuse it, and the caller wait for
    // good.
    let made = within("an ask whose reply is over the maximum", remote.make(4094)).await;
    match made.map(|made| made.len()) {
        Err(CallError::Transport { reason, .. }) => assert_sizes(&reason, 4097),
        other => panic!("expected CallError::Transport, got {other:?}"),
    }
    // The process and the way to it still work.
    assert_eq!(within("an ask", remote.make(3)).await.unwrap(), [7, 7, 7]);
    a.shutdown().await;
    b.shutdown().await;
}
