//! Why a node did not join its cluster.

use std::error::Error;
use std::fmt;
use std::sync::Arc;

/// Why [`SystemBuilder::connect`](crate::SystemBuilder::connect) gave no
/// system.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClusterError {
    /// The builder was not told what it needs, or was told something it
    /// cannot use.
    #[non_exhaustive]
    Config {
        /// What to change, in a sentence.
        problem: Arc<str>,
    },
    /// No NATS server answered at the cluster's address within the
    /// connect timeout, or the connection failed.
    #[non_exhaustive]
    Unreachable {
        /// The address tried.
        url: Arc<str>,
        /// The NATS client's error.
        cause: Arc<str>,
    },
    /// The server refused the node's credentials (or asked for some and
    /// got none).
    #[non_exhaustive]
    Refused {
        /// The address tried.
        url: Arc<str>,
        /// The NATS client's error.
        cause: Arc<str>,
    },
    /// Another live node of the cluster has this node's name.
    #[non_exhaustive]
    NameTaken {
        /// The node name.
        node: Arc<str>,
    },
    /// The server answered, but could not give the node what it needs: a
    /// server older than 2.10, or one without JetStream (`nats-server
    /// -js`), which holds the cluster's names.
    #[non_exhaustive]
    Server {
        /// What failed, and the server's answer.
        cause: Arc<str>,
    },
}

impl fmt::Display for ClusterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Config { problem } => write!(f, "cannot join the cluster: {problem}"),
            Self::Unreachable { url, cause } => write!(
                f,
                "cannot join the cluster: no NATS server answered at {url} ({cause}); start one (`nats-server -js`) or fix the address"
            ),
            Self::Refused { url, cause } => write!(
                f,
                "the NATS server at {url} refused this node ({cause}); give the builder the cluster's credentials"
            ),
            Self::NameTaken { node } => write!(
                f,
                "another live node of the cluster is named `{node}`; give each node its own name"
            ),
            Self::Server { cause } => write!(
                f,
                "the NATS server cannot hold a phyx cluster: {cause}; phyx needs nats-server 2.10 or later, with JetStream on (`-js`)"
            ),
        }
    }
}

impl Error for ClusterError {}
