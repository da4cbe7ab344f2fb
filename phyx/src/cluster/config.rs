//! What a node needs to join its cluster, as the builder collects it.

use std::path::PathBuf;
use std::time::Duration;

use crate::cluster::error::ClusterError;
use crate::cluster::subjects::is_token;

/// How a node proves to the NATS server that it belongs; see
/// [`SystemBuilder::credentials`](crate::SystemBuilder::credentials).
///
/// Set up the server side in its configuration (`authorization { ... }`
/// or accounts); a node with the wrong credentials, or none, is refused
/// with [`ClusterError::Refused`] and reaches nothing.
#[derive(Clone)]
#[non_exhaustive]
pub enum Credentials {
    /// A user name and password.
    UserPassword {
        /// The user.
        user: String,
        /// Its password.
        password: String,
    },
    /// A token.
    Token(String),
    /// An nkey seed (`SU...`).
    Nkey(String),
    /// A `.creds` file (a JWT and its nkey seed), as `nsc` writes it.
    File(PathBuf),
}

impl Credentials {
    /// [`Credentials::UserPassword`].
    pub fn user_password(user: impl Into<String>, password: impl Into<String>) -> Self {
        Self::UserPassword {
            user: user.into(),
            password: password.into(),
        }
    }
}

// Secrets stay out of logs.
impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::UserPassword { user, .. } => write!(f, "UserPassword {{ user: {user:?}, .. }}"),
            Self::Token(_) => f.write_str("Token(..)"),
            Self::Nkey(_) => f.write_str("Nkey(..)"),
            Self::File(path) => write!(f, "File({path:?})"),
        }
    }
}

/// The cluster part of a [`SystemBuilder`](crate::SystemBuilder).
#[derive(Debug, Clone, Default)]
pub(crate) struct ClusterConfig {
    pub(crate) node: Option<String>,
    pub(crate) servers: Vec<String>,
    pub(crate) namespace: Option<String>,
    pub(crate) detection: Option<Duration>,
    pub(crate) credentials: Option<Credentials>,
    pub(crate) root_certificates: Vec<PathBuf>,
    pub(crate) require_tls: bool,
}

/// Node-loss detection when the builder does not say.
pub(crate) const DEFAULT_DETECTION: Duration = Duration::from_secs(3);

/// The namespace when the builder does not say.
pub(crate) const DEFAULT_NAMESPACE: &str = "default";

/// A checked [`ClusterConfig`].
pub(crate) struct Checked {
    pub(crate) node: String,
    pub(crate) servers: Vec<String>,
    pub(crate) namespace: String,
    pub(crate) detection: Duration,
    pub(crate) credentials: Option<Credentials>,
    pub(crate) root_certificates: Vec<PathBuf>,
    pub(crate) require_tls: bool,
}

impl ClusterConfig {
    pub(crate) fn check(self) -> Result<Checked, ClusterError> {
        let problem = |problem: String| ClusterError::Config {
            problem: problem.into(),
        };
        let node = self.node.ok_or_else(|| {
            problem(
                "the node has no name; call `.node(\"orders-1\")` on the builder, a name unique in the cluster".into(),
            )
        })?;
        if !is_token(&node) {
            return Err(problem(format!(
                "node name `{node}` is not 1 to 64 letters, digits, `-` or `_`; pick one such as `orders-1`"
            )));
        }
        if self.servers.is_empty() {
            return Err(problem(
                "no NATS server given; call `.cluster(\"nats://127.0.0.1:4222\")` on the builder".into(),
            ));
        }
        let namespace = self.namespace.unwrap_or_else(|| DEFAULT_NAMESPACE.to_owned());
        if !is_token(&namespace) {
            return Err(problem(format!(
                "namespace `{namespace}` is not 1 to 64 letters, digits, `-` or `_`; pick one such as `prod`"
            )));
        }
        let detection = self.detection.unwrap_or(DEFAULT_DETECTION);
        if detection < Duration::from_millis(100) {
            return Err(problem(format!(
                "a detection time of {detection:?} would declare live nodes down; give 100ms or more"
            )));
        }
        Ok(Checked {
            node,
            servers: self.servers,
            namespace,
            detection,
            credentials: self.credentials,
            root_certificates: self.root_certificates,
            require_tls: self.require_tls,
        })
    }
}
