//! Where things live on the NATS server: every subject and bucket of one
//! cluster starts with its namespace, so two clusters on one server never
//! see each other's messages or names.
//!
//! ```text
//! phyx.<ns>.p.<id>             a registered process (id: random, per registration)
//! phyx.<ns>.pool.<key>        a pool across nodes (a queue group of its members)
//! phyx.<ns>.r.<node>.<seq>     replies to node <node>'s ask number <seq>
//! phyx.<ns>.n.<node>.<inc>     the liveness probe of node <node>'s start <inc>
//! phyx.<ns>.leave              a node leaving, by name
//! phyx.<ns>.d.<key>            the durable tells to the process registered as <key>
//! stream phyx_<ns>_d_<key>     where they are kept until handled
//! phyx.<ns>.j.<key>            the events of journal <key>, a batch per message
//! stream phyx_<ns>_journal     where every journal's events are kept
//! phyx.<ns>.snap.<key>         the latest snapshot of journal <key>
//! stream phyx_<ns>_snapshots   where they are kept, one per journal
//! KV phyx_<ns>_nodes           node name -> incarnation
//! KV phyx_<ns>_names           registered name -> where it is served
//! ```

/// Whether `name` can be a namespace or a node name: letters, digits,
/// `-` and `_`, 1 to 64 of them (they appear in subjects and bucket
/// names, which allow no more).
pub(crate) fn is_token(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The subjects and buckets of one node of one cluster.
#[derive(Debug, Clone)]
pub(crate) struct Subjects {
    prefix: String,
    namespace: String,
    node: String,
}

impl Subjects {
    pub(crate) fn new(namespace: &str, node: &str) -> Self {
        Self {
            prefix: format!("phyx.{namespace}"),
            namespace: namespace.to_owned(),
            node: node.to_owned(),
        }
    }

    pub(crate) fn process(&self, id: u64) -> String {
        format!("{}.p.{id:016x}", self.prefix)
    }

    /// The pool across nodes whose name's key is `key`.
    pub(crate) fn pool(&self, key: &str) -> String {
        format!("{}.pool.{key}", self.prefix)
    }

    /// This node's replies, all of them (a wildcard to subscribe to).
    pub(crate) fn replies(&self) -> String {
        format!("{}.r.{}.*", self.prefix, self.node)
    }

    /// Where the reply to this node's ask `seq` goes.
    pub(crate) fn reply(&self, seq: u64) -> String {
        format!("{}.r.{}.{seq}", self.prefix, self.node)
    }

    /// The probe of `node`'s start `incarnation`: answered while that
    /// start lives, by it alone.
    pub(crate) fn probe(&self, node: &str, incarnation: u64) -> String {
        format!("{}.n.{node}.{incarnation:016x}", self.prefix)
    }

    pub(crate) fn leave(&self) -> String {
        format!("{}.leave", self.prefix)
    }

    /// The subject of the durable tells to the name whose key is `key`.
    pub(crate) fn durable(&self, key: &str) -> String {
        format!("{}.d.{key}", self.prefix)
    }

    /// The JetStream stream that keeps them.
    pub(crate) fn durable_stream(&self, key: &str) -> String {
        format!("phyx_{}_d_{key}", self.namespace)
    }

    /// The subject of journal `key`'s events (a key as [`key`] makes it).
    #[cfg(feature = "journal")]
    pub(crate) fn journal(&self, key: &str) -> String {
        format!("{}.j.{key}", self.prefix)
    }

    /// The subjects of every journal's events, as the stream that keeps
    /// them takes them.
    #[cfg(feature = "journal")]
    pub(crate) fn journals(&self) -> String {
        format!("{}.j.>", self.prefix)
    }

    /// The JetStream stream that keeps every journal's events.
    #[cfg(feature = "journal")]
    pub(crate) fn journal_stream(&self) -> String {
        format!("phyx_{}_journal", self.namespace)
    }

    /// The subject of journal `key`'s snapshot.
    #[cfg(feature = "journal")]
    pub(crate) fn snapshot(&self, key: &str) -> String {
        format!("{}.snap.{key}", self.prefix)
    }

    /// The subjects of every journal's snapshot.
    #[cfg(feature = "journal")]
    pub(crate) fn snapshots(&self) -> String {
        format!("{}.snap.>", self.prefix)
    }

    /// The JetStream stream that keeps the latest snapshot of each journal.
    #[cfg(feature = "journal")]
    pub(crate) fn snapshot_stream(&self) -> String {
        format!("phyx_{}_snapshots", self.namespace)
    }

    pub(crate) fn nodes_bucket(&self) -> String {
        format!("phyx_{}_nodes", self.namespace)
    }

    pub(crate) fn names_bucket(&self) -> String {
        format!("phyx_{}_names", self.namespace)
    }
}

/// The ask number at the end of a reply subject.
pub(crate) fn reply_seq(subject: &str) -> Option<u64> {
    subject.rsplit('.').next()?.parse().ok()
}

/// A registered name as a key-value key or subject token: letters,
/// digits, `-` and `_` as they are; every other byte as `=` and two hex
/// digits. Distinct names give distinct keys.
pub(crate) fn key(name: &str) -> String {
    let mut key = String::with_capacity(name.len());
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_' {
            key.push(char::from(byte));
        } else {
            key.push_str(&format!("={byte:02X}"));
        }
    }
    if key.is_empty() {
        key.push('=');
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_keys_one_to_one() {
        assert_eq!(key("counter"), "counter");
        assert_eq!(key("orders.eu/1"), "orders=2Eeu=2F1");
        assert_eq!(key("a b"), "a=20b");
        assert_eq!(key("="), "=3D");
        assert_eq!(key(""), "=");
        assert_ne!(key("a.b"), key("a=2Eb"));
    }

    #[test]
    fn tokens_are_what_subjects_allow() {
        assert!(is_token("orders-1"));
        assert!(is_token("a_B9"));
        assert!(!is_token(""));
        assert!(!is_token("a.b"));
        assert!(!is_token("a b"));
        assert!(!is_token("*"));
        assert!(!is_token(&"x".repeat(65)));
    }

    #[test]
    fn replies_carry_their_number() {
        let subjects = Subjects::new("prod", "node-a");
        assert_eq!(reply_seq(&subjects.reply(42)), Some(42));
        assert_eq!(subjects.replies(), "phyx.prod.r.node-a.*");
        assert_eq!(reply_seq("phyx.prod.r.node-a.x"), None);
    }
}
