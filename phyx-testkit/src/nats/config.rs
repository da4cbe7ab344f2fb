//! The server's configuration file: what the builder sets beyond the
//! command line's port, JetStream and store.

use std::fmt::Write;

/// What a [`NatsServerBuilder`](super::NatsServerBuilder) asked for.
#[derive(Debug, Default, Clone)]
pub(crate) struct Options {
    /// (name, password), in the order given.
    pub(crate) users: Vec<(String, String)>,
    pub(crate) token: Option<String>,
    pub(crate) max_payload: Option<u32>,
}

impl Options {
    /// The text of the configuration file.
    ///
    /// ```text
    /// max_payload: 1024
    /// authorization {
    ///   users: [
    ///     {user: "alice", password: "secret"}
    ///   ]
    /// }
    /// ```
    pub(crate) fn render(&self) -> String {
        let mut text = String::from("# Written by phyx-testkit.\n");
        if let Some(bytes) = self.max_payload {
            let _ = writeln!(text, "max_payload: {bytes}");
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
        assert_eq!(Options::default().render(), "# Written by phyx-testkit.\n");
    }

    #[test]
    fn users_are_listed_in_order_and_quoted() {
        let options = Options {
            users: vec![("a".into(), "p\"w\\d".into()), ("b".into(), "$x".into())],
            max_payload: Some(1024),
            ..Options::default()
        };
        assert_eq!(
            options.render(),
            "# Written by phyx-testkit.\n\
             max_payload: 1024\n\
             authorization {\n  users: [\n\
             \x20   {user: \"a\", password: \"p\\\"w\\\\d\"}\n\
             \x20   {user: \"b\", password: \"$x\"}\n\
             \x20 ]\n}\n"
        );
    }

    #[test]
    fn a_token_is_its_own_authorization() {
        let options = Options {
            token: Some("t0k\ten".into()),
            ..Options::default()
        };
        assert_eq!(
            options.render(),
            "# Written by phyx-testkit.\nauthorization {\n  token: \"t0k\\ten\"\n}\n"
        );
    }
}
