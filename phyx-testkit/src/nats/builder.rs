//! Options of a server, set before it starts.

use super::NatsServer;
use super::config::Options;

/// A [`NatsServer`] with authorization or limits: from
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
