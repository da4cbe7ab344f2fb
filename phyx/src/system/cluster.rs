//! The builder's cluster settings (feature `cluster`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::{System, SystemBuilder};
use crate::cluster::{ClusterError, Credentials, Node};
use crate::error::RegisterError;
use crate::kernel::process::Handle;

impl SystemBuilder {
    /// This node's name in its cluster: unique among the cluster's live
    /// nodes; letters, digits, `-` and `_`. Then [`connect`](Self::connect).
    pub fn node(mut self, name: impl Into<String>) -> Self {
        self.cluster.node = Some(name.into());
        self
    }

    /// A NATS server of the cluster (2.10 or later, with JetStream on:
    /// `nats-server -js`), as `nats://host:port`. Call it once per server
    /// to give several; the node connects to one and fails over to the
    /// others. Then [`connect`](Self::connect).
    pub fn cluster(mut self, url: impl Into<String>) -> Self {
        self.cluster.servers.push(url.into());
        self
    }

    /// The cluster's namespace on its NATS servers (default `"default"`):
    /// every subject and bucket of the cluster starts with it, so clusters
    /// with different namespaces share servers without seeing each other.
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.cluster.namespace = Some(namespace.into());
        self
    }

    /// How long a node that stopped answering has before it is declared
    /// down, its calls in flight failing with
    /// [`CallError::NodeDown`](crate::CallError::NodeDown) (default 3 s;
    /// at least 100 ms). A killed node is found sooner: within a third of
    /// it. Also the connect timeout.
    pub fn detection(mut self, within: Duration) -> Self {
        self.cluster.detection = Some(within);
        self
    }

    /// How the node proves to the NATS server that it belongs.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.cluster.credentials = Some(credentials);
        self
    }

    /// Trusts the certificate authority in `pem_file` for the server's
    /// TLS certificate, and requires TLS. A server whose certificate it
    /// did not sign, or one without TLS, fails the handshake:
    /// [`connect`](Self::connect) then gives a [`ClusterError::Config`]
    /// that says so.
    pub fn tls_root_certificate(mut self, pem_file: impl Into<PathBuf>) -> Self {
        self.cluster.root_certificates.push(pem_file.into());
        self.cluster.require_tls = true;
        self
    }

    /// Joins the cluster: connects to its NATS server, claims this node's
    /// name, and returns the system, whose
    /// [`register`](System::register) and [`lookup`](System::lookup) then
    /// reach every node.
    ///
    /// With the `journal` feature, the system keeps the journals of its
    /// event-sourced processes in the cluster's JetStream
    /// (`phyx::cluster::JetStreamJournal`) unless `journal(..)` gave it
    /// another store: a process registered again on another node finds
    /// its journal there.
    ///
    /// # Errors
    ///
    /// A [`ClusterError`]: no node name or server given, a credentials
    /// file or TLS root certificate that cannot be read, a TLS handshake
    /// refused (without the server's certificate authority, or with TLS
    /// required of a server without it), no server
    /// answering within the detection time, credentials refused, the name
    /// held by another live node, a server without JetStream or older
    /// than 2.10.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime.
    pub async fn connect(mut self) -> Result<System, ClusterError> {
        let cluster = std::mem::take(&mut self.cluster);
        #[cfg(feature = "isolated")]
        let given = cluster.clone();
        let config = cluster.check()?;
        let node = Node::connect(config, self.clock.clone()).await?;
        let mut system = self.build_inner();
        #[cfg(feature = "isolated")]
        super::isolated::attach(&system, &node, given);
        // Kept only if the builder was given no store.
        #[cfg(feature = "journal")]
        crate::journal::Journals::attach(
            &system.owner.inner,
            Arc::new(crate::cluster::JetStreamJournal::new(&node)),
        );
        let owner = Arc::get_mut(&mut system.owner).expect("a system just built has one owner");
        owner.node = Some(node);
        Ok(system)
    }
}

impl System {
    /// Adds the process behind `handle` (a process, or a local
    /// [pool](System::pool)) to the pool `name` across the cluster: every
    /// node that adds one serves the pool's calls, and a
    /// [`lookup`](System::lookup) of `name` from any node gives one handle
    /// whose calls the NATS server spreads over the members (a queue
    /// group), skipping members that are gone. A member leaves the pool
    /// when its process stops for good, with
    /// [`unregister`](System::unregister) on its node, or with its node.
    ///
    /// An ask a member took fails with
    /// [`CallError::NodeDown`](crate::CallError::NodeDown) if that
    /// member's node goes down; with every member gone, calls fail with
    /// [`CallError::Stopped`](crate::CallError::Stopped).
    ///
    /// On a system that joined no cluster, it is
    /// [`register`](System::register).
    ///
    /// # Errors
    ///
    /// - [`RegisterError::NotRemote`]: the process is not
    ///   `#[process(remote)]`.
    /// - [`RegisterError::TakenElsewhere`]: a single process holds the
    ///   name.
    /// - [`RegisterError::Cluster`]: the pool's members are of another
    ///   build, or the registry could not be written.
    pub async fn register_pool<H: Handle>(&self, name: &str, handle: &H) -> Result<(), RegisterError> {
        match &self.owner.node {
            Some(node) => crate::cluster::register_pool(node, name, handle).await,
            None => self.register(name, handle).await,
        }
    }

    /// This node's name in its cluster; `None` for a system that joined
    /// none.
    pub fn node_name(&self) -> Option<&str> {
        self.owner.node.as_deref().map(|node| &*node.name)
    }

    /// A writer of the cluster's journals in JetStream, over this node's
    /// connection: to read or write a journal directly (a tool, a test, a
    /// migration). `None` for a system that joined no cluster. Feature
    /// `journal`.
    ///
    /// Each call gives a writer of its own (its clones share what it
    /// learns of where each journal ends), so appending with it to the
    /// journal of a running process is a second writer, refused as
    /// [`JournalError::Conflict`](crate::journal::JournalError::Conflict)
    /// once the process appended since.
    #[cfg(feature = "journal")]
    pub fn jetstream_journal(&self) -> Option<crate::cluster::JetStreamJournal> {
        self.owner.node.as_deref().map(crate::cluster::JetStreamJournal::new)
    }
}
