//! The server's configuration file: what the builder sets beyond the
//! command line's port, JetStream and store.

use std::fmt::Write;

use super::tls::TlsFiles;

/// What a [`NatsServerBuilder`](super::NatsServerBuilder) asked for.
#[derive(Debug, Default, Clone)]
pub(crate) struct Options {
    /// (name, password), in the order given.
    pub(crate) users: Vec<(String, String)>,
    pub(crate) token: Option<String>,
    pub(crate) max_payload: Option<u32>,
    /// TLS required of every client, with certificates made at start.
    pub(crate) tls: bool,
    /// The address to listen on instead of `127.0.0.1`.
    pub(crate) listen: Option<std::net::IpAddr>,
}

/// How long the server gives a client to finish its TLS handshake, in
/// seconds: nats-server's default (0.5 s) fails a handshake on a loaded
/// test machine now and then.
const TLS_TIMEOUT_SECONDS: u32 = 5;

impl Options {
    /// The text of the configuration file; `tls`, the files of a server
    /// that requires TLS.
    ///
    /// ```text
    /// max_payload: 1024
    /// tls {
    ///   cert_file: "/tmp/phyx-nats-1-0/server-cert.pem"
    ///   key_file: "/tmp/phyx-nats-1-0/server-key.pem"
    ///   timeout: 5
    /// }
    /// authorization {
    ///   users: [
    ///     {user: "alice", password: "secret"}
    ///   ]
    /// }
    /// ```
    pub(crate) fn render(&self, tls: Option<&TlsFiles>) -> String {
        let mut text = String::from("# Written by phyx-testkit.\n");
        if let Some(bytes) = self.max_payload {
            let _ = writeln!(text, "max_payload: {bytes}");
        }
        if let Some(tls) = tls {
            let _ = writeln!(
                text,
                "tls {{\n  cert_file: {}\n  key_file: {}\n  timeout: {TLS_TIMEOUT_SECONDS}\n}}",
                quoted(&tls.cert.to_string_lossy()),
                quoted(&tls.key.to_string_lossy()),
            );
        }
        if let Some(token) = &self.token {
            let _ = writeln!(text, "authorization {{\n  token: {}\n}}", quoted(token));
        }
        if !self.users.is_empty() {
            text.push_str("authorization {\n  users: [\n");
            for (name, password) in &self.users {
                let _ = writeln!(text, "    {{user: {}, password: {}}}", quoted(name), quoted(password));
            }
            text.push_str("  ]\n}\n");
        }
        text
    }
}

/// A double-quoted string of the NATS configuration format: taken as is,
/// with no `$variable` or `include`, once `\` and `"` are escaped (and the
/// line breaks and tabs that would end or garble it).
fn quoted(value: &str) -> String {
    let mut quoted = String::with_capacity(value.len() + 2);
    quoted.push('"');
    for c in value.chars() {
        match c {
            '\\' => quoted.push_str("\\\\"),
            '"' => quoted.push_str("\\\""),
            '\n' => quoted.push_str("\\n"),
            '\r' => quoted.push_str("\\r"),
            '\t' => quoted.push_str("\\t"),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_asked_is_an_empty_configuration() {
        assert_eq!(Options::default().render(None), "# Written by phyx-testkit.\n");
    }

    #[test]
    fn users_are_listed_in_order_and_quoted() {
        let options = Options {
            users: vec![("a".into(), "p\"w\\d".into()), ("b".into(), "$x".into())],
            max_payload: Some(1024),
            ..Options::default()
        };
        assert_eq!(
            options.render(None),
            "# Written by phyx-testkit.\n\
             max_payload: 1024\n\
             authorization {\n  users: [\n\
             \x20   {user: \"a\", password: \"p\\\"w\\\\d\"}\n\
             \x20   {user: \"b\", password: \"$x\"}\n\
             \x20 ]\n}\n"
        );
    }

    #[test]
    fn tls_names_the_certificate_and_its_key() {
        let tls = TlsFiles {
            ca: "/d/ca.pem".into(),
            cert: "/d/cert.pem".into(),
            key: "/d/key \"x\".pem".into(),
        };
        assert_eq!(
            Options::default().render(Some(&tls)),
            "# Written by phyx-testkit.\n\
             tls {\n  cert_file: \"/d/cert.pem\"\n  key_file: \"/d/key \\\"x\\\".pem\"\n  timeout: 5\n}\n"
        );
    }

    #[test]
    fn a_token_is_its_own_authorization() {
        let options = Options {
            token: Some("t0k\ten".into()),
            ..Options::default()
        };
        assert_eq!(
            options.render(None),
            "# Written by phyx-testkit.\nauthorization {\n  token: \"t0k\\ten\"\n}\n"
        );
    }
}
