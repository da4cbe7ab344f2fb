//! The format of arguments and replies on the wire: postcard, through
//! serde. What `#[process(remote)]` generates calls these, once per
//! argument and reply type.
//!
//! Postcard, not MessagePack: its encoding is specified and frozen (1.0),
//! compact (varints, no field names) and fast, and a process's two ends
//! are the same Rust types, so a self-describing format would only add
//! bytes; the schema hash in every frame catches builds that disagree.

use std::marker::PhantomData;

use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::oneshot;

use crate::kernel::reply::{NoReply, ReplyTo, Sent, Unreachable};
use crate::kernel::wire::{PendingReply, ReplyWait};

/// What an argument or reply of a `#[process(remote)]` process must be:
/// it crosses between nodes as bytes. Checked where the macro spells the
/// type, so that the error is on the argument.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot cross between nodes: arguments and replies of a `#[process(remote)]` process must be `Serialize + DeserializeOwned`",
    label = "not serde",
    note = "derive both on the type and on every type inside it: `#[derive(serde::Serialize, serde::Deserialize)]`; or drop `remote` to keep the process on its own node"
)]
pub trait WireType {
    /// Sizes an array in the generated code (see phyx-macros'
    /// `expand/sendable.rs` for the trick).
    const OK: usize = 1;
}

// Not recommended: the error is then this trait's one sentence, on the
// type as written, and not one per serde trait (`Serialize` and
// `Deserialize`) nor serde's own for a type nested inside it.
#[diagnostic::do_not_recommend]
impl<T: Serialize + DeserializeOwned> WireType for T {}

/// A type that can cross between nodes: `Serialize + DeserializeOwned`,
/// implemented for every such type.
///
/// The arguments and replies of a `#[process(remote)]` process must be
/// such types. A generic one bounds the type parameters that its messages
/// carry by this trait (or by serde's two):
///
/// ```
/// use phyx::cluster::Wire;
/// use phyx::prelude::*;
///
/// pub struct Store<K, V> {
///     entries: std::collections::BTreeMap<K, V>,
/// }
///
/// #[process(remote)]
/// impl<K: Ord + Wire, V: Clone + Wire> Store<K, V> {
///     #[public]
///     pub fn get(&self, key: K) -> Option<V> {
///         self.entries.get(&key).cloned()
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot cross between nodes: arguments and replies of a `#[process(remote)]` process must be `Serialize + DeserializeOwned`",
    label = "not serde",
    note = "bound the impl's type parameters that its messages carry: `impl<T: phyx::cluster::Wire>` (or `T: serde::Serialize + serde::de::DeserializeOwned`)"
)]
pub trait Wire: Serialize + DeserializeOwned {}

// Not recommended, as `WireType`'s: one error, whose advice names `Wire`.
#[diagnostic::do_not_recommend]
impl<T: Serialize + DeserializeOwned> Wire for T {}

/// The codec of a type that names a type parameter of the impl, which the
/// array-length check of [`WireType`] cannot spell: checked by this
/// function's bound instead, with rustc's advice to bound the parameter
/// by [`Wire`].
#[must_use]
pub const fn codec<T: Wire>() -> Codec<T> {
    Codec::new()
}

/// Reads a `T` from the front of some bytes, and gives the rest.
type Take<T> = for<'a> fn(&'a [u8]) -> Result<(T, &'a [u8]), postcard::Error>;

/// Writes and reads one type. Made once per type, in a `const` of the
/// generated code, where the bound is checked once.
pub struct Codec<T> {
    encode: fn(&T, &mut Vec<u8>) -> Result<(), postcard::Error>,
    decode: Take<T>,
    _type: PhantomData<fn() -> T>,
}

impl<T> Clone for Codec<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Codec<T> {}

impl<T: Serialize + DeserializeOwned> Codec<T> {
    /// The codec of `T`.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            encode: |value, out| postcard::to_io(value, out).map(drop),
            decode: |bytes| postcard::take_from_bytes(bytes),
            _type: PhantomData,
        }
    }
}

impl<T: Serialize + DeserializeOwned> Default for Codec<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Codec<T> {
    /// Appends `value` to `out`.
    ///
    /// # Errors
    ///
    /// If `value`'s `Serialize` fails, why.
    pub fn encode(&self, value: &T, out: &mut Vec<u8>) -> Result<(), String> {
        (self.encode)(value, out).map_err(|error| format!("could not encode a `{}`: {error}", type_name::<T>()))
    }

    /// Reads a `T` from the front of `input`, and moves `input` past it.
    ///
    /// # Errors
    ///
    /// If `input` does not start with a `T`, why.
    pub fn decode(&self, input: &mut &[u8]) -> Result<T, String> {
        let (value, rest) =
            (self.decode)(input).map_err(|error| format!("could not decode a `{}`: {error}", type_name::<T>()))?;
        *input = rest;
        Ok(value)
    }
}

/// The arguments of a message end where its bytes do.
///
/// # Errors
///
/// If bytes are left over.
pub fn finish(input: &[u8]) -> Result<(), String> {
    if input.is_empty() {
        Ok(())
    } else {
        Err(format!("{} bytes left after the last argument", input.len()))
    }
}

/// The caller's end of an ask: decodes the reply with `codec` into the
/// `Call` waiting on `reply_to`. `None` for a tell.
pub fn pending<R: Send + 'static>(reply_to: ReplyTo<R>, codec: Codec<R>) -> Option<Box<dyn PendingReply>> {
    let sender = reply_to?;
    Some(Box::new(Pending { sender, codec }))
}

struct Pending<R> {
    sender: oneshot::Sender<Result<Sent<R>, NoReply>>,
    codec: Codec<R>,
}

impl<R: Send + 'static> PendingReply for Pending<R> {
    fn complete(self: Box<Self>, reply: Result<&[u8], NoReply>) {
        let Self { sender, codec } = *self;
        let outcome = reply.and_then(|mut bytes| {
            let value = codec.decode(&mut bytes).map_err(transport)?;
            finish(bytes).map_err(transport)?;
            Ok(Sent::new(value))
        });
        // The caller may have given up (timeout): nothing to do.
        let _ = sender.send(outcome);
    }

    fn abandoned(&self) -> bool {
        self.sender.is_closed()
    }
}

fn transport(reason: String) -> NoReply {
    NoReply::Unreachable(Unreachable::Transport(format!("the reply {reason}").into()))
}

/// The reply slot of a message that arrived, and the future that
/// resolves to its encoded reply; `ask: false` (a tell) gives neither.
pub fn reply_wait<R: Send + 'static>(ask: bool, codec: Codec<R>) -> (ReplyTo<R>, Option<ReplyWait>) {
    if !ask {
        return (None, None);
    }
    let (sender, receiver) = oneshot::channel::<Result<Sent<R>, NoReply>>();
    let wait: ReplyWait = Box::pin(async move {
        match receiver.await {
            Ok(Ok(value)) => {
                let mut out = Vec::new();
                codec
                    .encode(&value.into_inner(), &mut out)
                    .map_err(|reason| NoReply::Unreachable(Unreachable::Transport(reason.into())))?;
                Ok(out)
            }
            Ok(Err(why)) => Err(why),
            // Dropped unhandled: the process stopped.
            Err(_) => Err(NoReply::Stopped),
        }
    });
    (Some(sender), Some(wait))
}

fn type_name<T>() -> &'static str {
    let full = std::any::type_name::<T>();
    full.rsplit("::").next().unwrap_or(full)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_and_leave_the_rest() {
        let codec = Codec::<(u64, String)>::new();
        let mut out = Vec::new();
        codec.encode(&(7, "seven".into()), &mut out).unwrap();
        Codec::<bool>::new().encode(&true, &mut out).unwrap();
        let mut input = out.as_slice();
        assert_eq!(codec.decode(&mut input).unwrap(), (7, "seven".to_owned()));
        assert!(Codec::<bool>::new().decode(&mut input).unwrap());
        finish(input).unwrap();
    }

    #[test]
    fn short_input_is_an_error_not_a_panic() {
        let codec = Codec::<String>::new();
        let mut out = Vec::new();
        codec.encode(&"hello".into(), &mut out).unwrap();
        for cut in 0..out.len() {
            let mut input = &out[..cut];
            assert!(codec.decode(&mut input).is_err(), "{cut} bytes decoded");
        }
    }

    #[derive(Debug, PartialEq, Serialize, serde::Deserialize)]
    enum Shape {
        Unit,
        Pair(u8, i64),
        Named { name: String, tags: Vec<Option<char>> },
    }

    type Many = (
        bool,
        Vec<u64>,
        Option<String>,
        Vec<Shape>,
        std::collections::BTreeMap<u16, Vec<u8>>,
    );

    /// Whatever `T` reads from `bytes`, it reads again from its own
    /// encoding; and reading never panics.
    fn decodes_or_errs<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(bytes: &[u8]) {
        let codec = Codec::<T>::new();
        let mut input = bytes;
        let Ok(value) = codec.decode(&mut input) else { return };
        assert!(bytes.ends_with(input));
        let mut out = Vec::new();
        codec.encode(&value, &mut out).unwrap();
        assert_eq!(codec.decode(&mut out.as_slice()).unwrap(), value);
    }

    #[test]
    fn any_bytes_decode_or_are_an_error() {
        let mut rng = crate::rng::SplitMix64::new(0x000c_0dec);
        for _ in 0..100_000 {
            let len = (rng.next_u64() % 48) as usize;
            let bytes: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
            decodes_or_errs::<String>(&bytes);
            decodes_or_errs::<Vec<u32>>(&bytes);
            decodes_or_errs::<Shape>(&bytes);
        }
    }

    #[test]
    fn damaged_encodings_decode_or_are_an_error() {
        let sample: Many = (
            true,
            vec![0, 300, u64::MAX],
            Some("héllo".into()),
            vec![
                Shape::Unit,
                Shape::Pair(7, -70_000),
                Shape::Named {
                    name: "n".into(),
                    tags: vec![Some('x'), None, Some('\u{1f980}')],
                },
            ],
            [(1, vec![1, 2]), (513, Vec::new())].into_iter().collect(),
        );
        let mut encoded = Vec::new();
        Codec::<Many>::new().encode(&sample, &mut encoded).unwrap();
        let mut rng = crate::rng::SplitMix64::new(0x00da_3a9e);
        for _ in 0..100_000 {
            let mut bytes = encoded.clone();
            for _ in 0..=rng.next_u64() % 3 {
                let bit = (rng.next_u64() % (bytes.len() as u64 * 8)) as usize;
                bytes[bit / 8] ^= 1 << (bit % 8);
            }
            bytes.truncate(bytes.len() - (rng.next_u64() % 4) as usize);
            decodes_or_errs::<Many>(&bytes);
        }
    }
}
