//! Options of a server, set before it starts.

use super::NatsServer;
use super::config::Options;

/// A [`NatsServer`] with authorization, limits or TLS: from
/// [`NatsServer::builder`], then [`start`](Self::start).
///
/// # Examples
///
/// ```
/// use phyx_testkit::nats::NatsServer;
///
/// let Some(nats) = NatsServer::builder()
///     .user("alice", "secret")
///     .user("bob", "hunter2")
///     .max_payload(64 * 1024)
///     .start()
/// else {
///     return;
/// };
/// # drop(nats);
/// ```
#[derive(Debug, Default, Clone)]
#[must_use = "a builder starts nothing until `start`"]
pub struct NatsServerBuilder {
    options: Options,
}

impl NatsServerBuilder {
    /// Adds a user: authorization is on, and a client must connect as one
    /// of the users given, by name and password. Call once per user.
    pub fn user(mut self, name: impl Into<String>, password: impl Into<String>) -> Self {
        self.options.users.push((name.into(), password.into()));
        self
    }

    /// Turns token authorization on: a client must connect with `token`.
    /// A later call replaces it. It does not combine with
    /// [`user`](Self::user) (nats-server accepts one or the other).
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.options.token = Some(token.into());
        self
    }

    /// The largest message payload the server accepts, in bytes (its
    /// `max_payload`; nats-server's default is 1 MiB). A larger publish is
    /// refused with `-ERR 'Maximum Payload Violation'`.
    pub fn max_payload(mut self, bytes: u32) -> Self {
        self.options.max_payload = Some(bytes);
        self
    }

    /// Requires TLS of every client: the server gets a certificate for
    /// `127.0.0.1` and `localhost`, signed by a certificate authority
    /// made for it alone as it starts (with rcgen, so no `openssl` is
    /// needed), and refuses plain connections. A client trusts the
    /// authority in the PEM file
    /// [`NatsServer::tls_root_certificate`] names (for a phyx node,
    /// `SystemBuilder::tls_root_certificate`); one that does not fails
    /// its TLS handshake. The URL stays [`NatsServer::url`]'s
    /// `nats://`: the server says it requires TLS, and the client
    /// upgrades.
    ///
    /// The files live in the server's temporary directory, removed when
    /// the server drops. Nothing of it is fit for anything but a test:
    /// the keys are written in the clear and never rotate.
    ///
    /// ```
    /// use phyx_testkit::nats::NatsServer;
    ///
    /// let Some(nats) = NatsServer::builder().tls().start() else { return };
    /// let ca = nats.tls_root_certificate().expect("a server with TLS has its CA");
    /// assert!(std::fs::read_to_string(ca).unwrap().starts_with("-----BEGIN CERTIFICATE-----"));
    /// ```
    pub fn tls(mut self) -> Self {
        self.options.tls = true;
        self
    }

    /// Listens on `ip` instead of `127.0.0.1`: an address of this
    /// machine's, such as the host's end of a
    /// [`Namespace`](crate::net::Namespace)'s link, for clients in
    /// another network namespace. [`NatsServer::url`] and
    /// [`NatsServer::addr`] then name it; with [`tls`](Self::tls), the
    /// certificate is good for it too.
    pub fn listen_on(mut self, ip: std::net::IpAddr) -> Self {
        self.options.listen = Some(ip);
        self
    }

    /// Starts the server, as [`NatsServer::start`] does: `None` (after a
    /// loud skip) without a `nats-server` binary.
    ///
    /// # Panics
    ///
    /// If both [`user`](Self::user) and [`token`](Self::token) were set,
    /// and as [`NatsServer::start`] does.
    pub fn start(self) -> Option<NatsServer> {
        assert!(
            self.options.users.is_empty() || self.options.token.is_none(),
            "phyx-testkit: a NatsServer takes users or a token, not both (nats-server refuses the mix)"
        );
        NatsServer::start_with(&self.options)
    }
}
