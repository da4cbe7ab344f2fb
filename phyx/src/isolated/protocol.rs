//! What a parent and its child OS process say to each other outside the
//! cluster: the child's settings, once, on its standard input (never on
//! its command line or in its environment, which other users of the
//! machine can read); its progress, as marked lines on its standard
//! output. Everything else the child writes is its own output.
//!
//! ```text
//! stdin:  length (4, LE) | settings (postcard)          then open until the child should go
//! stdout: phyx-isolated:<nonce>:entered                  it called serve_if_child
//!         phyx-isolated:<nonce>:ready                    its process serves
//!         phyx-isolated:<nonce>:failed <why>             it could not start it
//!         phyx-isolated:<nonce>:ended <reason>           its process stopped by itself
//! ```

use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::cluster::{ClusterConfig, Credentials};

/// Changes when the settings or the lines do: a child from another build
/// of phyx says so instead of misreading them.
const VERSION: u32 = 1;

/// The most a parent writes; more is not settings.
const MAX_SETTINGS: u32 = 1 << 20;

/// What a child needs to serve its process.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Settings {
    pub(crate) version: u32,
    /// Marks this child's lines, so that the program's own output cannot
    /// pass for them.
    pub(crate) nonce: u64,
    /// The process's type, as `Children::add` keys it.
    pub(crate) process: String,
    /// Its name, as the parent's handle reports it.
    pub(crate) name: String,
    /// The child's node name in the cluster.
    pub(crate) node: String,
    /// The subject its process is served on, for the parent alone.
    pub(crate) subject: String,
    pub(crate) cluster: Joining,
}

/// The parent's cluster, as its builder was given it.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Joining {
    pub(crate) servers: Vec<String>,
    pub(crate) namespace: Option<String>,
    pub(crate) detection: Option<Duration>,
    pub(crate) credentials: Option<Secret>,
    pub(crate) root_certificates: Vec<PathBuf>,
}

/// [`Credentials`], to cross the pipe.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) enum Secret {
    UserPassword { user: String, password: String },
    Token(String),
    Nkey(String),
    File(PathBuf),
}

// Secrets stay out of logs, as `Credentials`' do.
impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl Joining {
    pub(crate) fn from_config(config: &ClusterConfig) -> Self {
        Self {
            servers: config.servers.clone(),
            namespace: config.namespace.clone(),
            detection: config.detection,
            credentials: config.credentials.clone().map(|credentials| match credentials {
                Credentials::UserPassword { user, password } => Secret::UserPassword { user, password },
                Credentials::Token(token) => Secret::Token(token),
                Credentials::Nkey(seed) => Secret::Nkey(seed),
                Credentials::File(path) => Secret::File(path),
            }),
            root_certificates: config.root_certificates.clone(),
        }
    }
}

impl Secret {
    pub(crate) fn into_credentials(self) -> Credentials {
        match self {
            Self::UserPassword { user, password } => Credentials::user_password(user, password),
            Self::Token(token) => Credentials::Token(token),
            Self::Nkey(seed) => Credentials::Nkey(seed),
            Self::File(path) => Credentials::File(path),
        }
    }
}

impl Settings {
    pub(crate) fn new(
        nonce: u64,
        process: String,
        name: String,
        node: String,
        subject: String,
        cluster: Joining,
    ) -> Self {
        Self {
            version: VERSION,
            nonce,
            process,
            name,
            node,
            subject,
            cluster,
        }
    }

    /// The bytes the parent writes to the child's standard input.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let body = postcard::to_stdvec(self).unwrap_or_default();
        let mut out = Vec::with_capacity(4 + body.len());
        out.extend_from_slice(&u32::try_from(body.len()).unwrap_or(u32::MAX).to_le_bytes());
        out.extend_from_slice(&body);
        out
    }

    /// Reads the settings the parent wrote.
    pub(crate) fn read(input: &mut impl Read) -> Result<Self, String> {
        let mut length = [0; 4];
        input
            .read_exact(&mut length)
            .map_err(|error| format!("could not read its settings from its standard input: {error}"))?;
        let length = u32::from_le_bytes(length);
        if length > MAX_SETTINGS {
            return Err(format!(
                "its standard input does not start with phyx's settings ({length} bytes announced)"
            ));
        }
        let mut body = vec![0; length as usize];
        input
            .read_exact(&mut body)
            .map_err(|error| format!("could not read its settings from its standard input: {error}"))?;
        let settings: Self = postcard::from_bytes(&body).map_err(|error| {
            format!("its settings do not read ({error}): the parent runs another build of phyx; run one build")
        })?;
        if settings.version != VERSION {
            return Err(format!(
                "its settings are version {}, this phyx reads {VERSION}: run one build",
                settings.version
            ));
        }
        Ok(settings)
    }
}

/// A line the child writes for its parent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Line {
    Entered,
    Ready,
    Failed(String),
    Ended(String),
}

fn prefix(nonce: u64) -> String {
    format!("phyx-isolated:{nonce:016x}:")
}

impl Line {
    /// The line as the child writes it (no newline).
    pub(crate) fn format(&self, nonce: u64) -> String {
        let (word, text) = match self {
            Self::Entered => ("entered", None),
            Self::Ready => ("ready", None),
            Self::Failed(why) => ("failed", Some(why)),
            Self::Ended(reason) => ("ended", Some(reason)),
        };
        // One line, whatever the text.
        let text = text.map(|text| format!(" {}", text.replace(['\n', '\r'], " ")));
        format!("{}{word}{}", prefix(nonce), text.unwrap_or_default())
    }

    /// The line of the child marked `nonce`, if `line` is one.
    pub(crate) fn parse(nonce: u64, line: &str) -> Option<Self> {
        let rest = line.strip_prefix(&prefix(nonce))?;
        let (word, text) = rest.split_once(' ').unwrap_or((rest, ""));
        match word {
            "entered" => Some(Self::Entered),
            "ready" => Some(Self::Ready),
            "failed" => Some(Self::Failed(text.to_owned())),
            "ended" => Some(Self::Ended(text.to_owned())),
            _ => None,
        }
    }

    /// Writes the line to standard output, at once.
    pub(crate) fn say(&self, nonce: u64) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", self.format(nonce));
        let _ = out.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_round_trip_and_others_are_not_lines() {
        let nonce = 0x1234_5678_9abc_def0;
        for line in [
            Line::Entered,
            Line::Ready,
            Line::Failed("no such process\nhere".into()),
            Line::Ended("stopped normally".into()),
        ] {
            let parsed = Line::parse(nonce, &line.format(nonce)).unwrap();
            match (&line, parsed) {
                (Line::Failed(_), Line::Failed(text)) => assert_eq!(text, "no such process here"),
                (line, parsed) => assert_eq!(*line, parsed),
            }
        }
        assert_eq!(Line::parse(nonce, &Line::Ready.format(nonce + 1)), None);
        assert_eq!(Line::parse(nonce, "ready"), None);
        assert_eq!(Line::parse(nonce, &format!("{}unknown", prefix(nonce))), None);
    }

    #[test]
    fn settings_round_trip_through_the_pipe() {
        let settings = Settings::new(
            7,
            "crate::Worker".into(),
            "worker".into(),
            "iso-7".into(),
            "phyx.default.iso.7.p".into(),
            Joining {
                servers: vec!["nats://127.0.0.1:4222".into()],
                namespace: Some("prod".into()),
                detection: Some(Duration::from_millis(900)),
                credentials: Some(Secret::Token("secret".into())),
                root_certificates: Vec::new(),
            },
        );
        let bytes = settings.to_bytes();
        let read = Settings::read(&mut bytes.as_slice()).unwrap();
        assert_eq!(read.subject, settings.subject);
        assert_eq!(read.cluster.namespace.as_deref(), Some("prod"));
        assert!(format!("{read:?}").contains("Secret(..)"));
        assert!(!format!("{read:?}").contains("secret\""));
        assert!(Settings::read(&mut &bytes[..bytes.len() - 1]).is_err());
        assert!(Settings::read(&mut &b"\xff\xff\xff\xffjunk"[..]).is_err());
    }
}
