//! What can go wrong with a journal, and what to do about it.

use std::fmt;

/// A journal store's failure, from [`Journal`](crate::journal::Journal)'s
/// methods and, inside [`PersistError::Journal`], from
/// [`Ctx::persist`](crate::Ctx::persist).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "cluster", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum JournalError {
    /// Another writer appended to the journal first: its length is not
    /// what this writer expected. Nothing was written.
    Conflict {
        /// The journal.
        key: String,
        /// The position this writer would have written at.
        expected: u64,
        /// The position the next event actually goes at.
        found: u64,
    },
    /// The store could not be reached or did not do it (an I/O error, a
    /// server gone); whether the events were written is unknown.
    Unavailable {
        /// The journal.
        key: String,
        /// The store's own words.
        message: String,
    },
    /// The store holds damaged data for this journal: it cannot be read
    /// past `position`.
    Corrupt {
        /// The journal.
        key: String,
        /// The first position that cannot be read.
        position: u64,
        /// What is wrong, in the store's words.
        detail: String,
    },
    /// An event (or snapshot) in the journal does not decode as the type
    /// the process persists now: it was written by an older version of
    /// the type, most likely.
    Decode {
        /// The journal.
        key: String,
        /// The event's position.
        position: u64,
        /// The type it was decoded as.
        ty: String,
        /// The decoder's words.
        message: String,
    },
}

impl JournalError {
    /// A [`Conflict`](Self::Conflict): `expected` was asked for, the
    /// journal's next position is `found`.
    pub fn conflict(key: impl Into<String>, expected: u64, found: u64) -> Self {
        Self::Conflict {
            key: key.into(),
            expected,
            found,
        }
    }

    /// An [`Unavailable`](Self::Unavailable) store, in its own words.
    pub fn unavailable(key: impl Into<String>, message: impl fmt::Display) -> Self {
        Self::Unavailable {
            key: key.into(),
            message: message.to_string(),
        }
    }

    /// [`Corrupt`](Self::Corrupt) data from `position` on.
    pub fn corrupt(key: impl Into<String>, position: u64, detail: impl fmt::Display) -> Self {
        Self::Corrupt {
            key: key.into(),
            position,
            detail: detail.to_string(),
        }
    }

    /// The journal this is about.
    pub fn key(&self) -> &str {
        match self {
            Self::Conflict { key, .. }
            | Self::Unavailable { key, .. }
            | Self::Corrupt { key, .. }
            | Self::Decode { key, .. } => key,
        }
    }
}

impl fmt::Display for JournalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Conflict { key, expected, found } => write!(
                f,
                "journal `{key}` was written by someone else: this writer expected its next event at position \
                 {expected}, the journal is at {found}; a journal has one writer, the process of that name"
            ),
            Self::Unavailable { key, message } => write!(f, "journal `{key}` is unavailable: {message}"),
            Self::Corrupt { key, position, detail } => write!(
                f,
                "journal `{key}` is damaged at position {position} ({detail}); the events before it are intact"
            ),
            Self::Decode {
                key,
                position,
                ty,
                message,
            } => write!(
                f,
                "journal `{key}`: event {position} does not decode as `{ty}` ({message}). Was it written by an \
                 older version of the type? Keep old variants and fields decodable (add new variants at the end, \
                 never reorder them), or migrate the journal"
            ),
        }
    }
}

impl std::error::Error for JournalError {}

/// Why [`Ctx::persist`](crate::Ctx::persist) did not persist an event.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "cluster", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum PersistError {
    /// The event did not encode. Nothing was written and the state is
    /// unchanged; the process goes on.
    Encode {
        /// The event's type.
        event: String,
        /// The encoder's words.
        message: String,
    },
    /// The store failed. The state is unchanged, but the store may hold
    /// the events (their fate is unknown), so this instance of the
    /// process ends once the handler returns
    /// ([`StopReason::JournalFailed`](crate::StopReason::JournalFailed)),
    /// and its next instance rebuilds its state from what the journal
    /// holds.
    Journal(JournalError),
}

impl fmt::Display for PersistError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Encode { event, message } => write!(
                f,
                "event of type `{event}` does not encode ({message}); nothing was persisted"
            ),
            Self::Journal(error) => write!(f, "{error}; the process restarts from its journal"),
        }
    }
}

impl std::error::Error for PersistError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Encode { .. } => None,
            Self::Journal(error) => Some(error),
        }
    }
}

impl From<JournalError> for PersistError {
    fn from(error: JournalError) -> Self {
        Self::Journal(error)
    }
}
