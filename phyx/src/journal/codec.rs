//! How events and snapshots become the bytes a store holds: postcard,
//! compact and stable (a variant is its index, a field its place).

use std::any::type_name;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::journal::error::{JournalError, PersistError};

/// The bytes a journal holds for `value`, an event or a snapshot: what
/// [`Ctx::persist`](crate::Ctx::persist) appends. For test kits and
/// tools that write journals themselves.
///
/// # Errors
///
/// [`PersistError::Encode`]: `value`'s `Serialize` impl failed.
pub fn encode<E: Serialize>(value: &E) -> Result<Vec<u8>, PersistError> {
    postcard::to_allocvec(value).map_err(|error| PersistError::Encode {
        event: type_name::<E>().to_owned(),
        message: error.to_string(),
    })
}

/// The event (or snapshot) at `position` of journal `key`, from its bytes:
/// what a replay decodes.
///
/// # Errors
///
/// [`JournalError::Decode`], naming the journal, the position and the
/// type, when the bytes are not an `E`.
pub fn decode<E: DeserializeOwned>(key: &str, position: u64, bytes: &[u8]) -> Result<E, JournalError> {
    postcard::from_bytes(bytes).map_err(|error| JournalError::Decode {
        key: key.to_owned(),
        position,
        ty: type_name::<E>().to_owned(),
        message: error.to_string(),
    })
}

/// Every event of journal `key` in `store`, decoded as `T`'s: to look
/// into a journal from a tool, a test or a migration.
///
/// # Errors
///
/// The store's, or [`JournalError::Decode`] for an event that is not a
/// `T::Event`.
pub async fn events<T: crate::journal::EventSourced>(
    store: &dyn crate::journal::Journal,
    key: &str,
) -> Result<Vec<T::Event>, JournalError> {
    decode_from(store, key, 1).await
}

/// Every entry of journal `key` in `store` from position `from` on,
/// decoded as `E`s.
pub(crate) async fn decode_from<E: DeserializeOwned>(
    store: &dyn crate::journal::Journal,
    key: &str,
    from: u64,
) -> Result<Vec<E>, JournalError> {
    let mut entries = Vec::new();
    loop {
        let position = from + entries.len() as u64;
        let batch = store.read(key, position, 4096).await?;
        if batch.is_empty() {
            return Ok(entries);
        }
        for (position, bytes) in (position..).zip(batch) {
            entries.push(decode(key, position, &bytes)?);
        }
    }
}
