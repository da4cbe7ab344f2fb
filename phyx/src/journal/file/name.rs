//! Journal keys as file names: any string, escaped so that no key leaves
//! the directory or shares a file with another.
//!
//! `Worker[0]` → `%57orker%5B0%5D`, `account/42` → `account%2F42`, `` (the
//! empty key) → ``; the store adds `.log` or `.snap`.
//!
//! Every byte of the key's UTF-8 outside `[a-z0-9_-]` is written `%XX`
//! (upper-case hex). Upper-case letters are escaped too, so that keys that
//! differ only in case (`a`, `A`) get different files on a file system
//! that ignores case (macOS's and Windows's defaults): the escapes' own
//! hex digits are the only upper-case letters in a name, and folding their
//! case does not make two names equal. No name holds `/`, `\` or `.`, so
//! none is `..`, a path, or another key's name plus a suffix.

/// The longest encoded key: a file name is at most 255 bytes on common
/// file systems, and the longest suffix the store adds is `.snap.tmp`.
const MAX_ENCODED: usize = 255 - ".snap.tmp".len();

/// The file name stem of journal `key`, or why it has none.
pub(super) fn encode(key: &str) -> Result<String, String> {
    let mut name = String::with_capacity(key.len());
    for byte in key.bytes() {
        if byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'_' || byte == b'-' {
            name.push(char::from(byte));
        } else {
            name.push('%');
            name.push(hex(byte >> 4));
            name.push(hex(byte & 0xF));
        }
    }
    if name.len() > MAX_ENCODED {
        return Err(format!(
            "the key is too long for a file name: escaped, it takes {} bytes, and at most {MAX_ENCODED} fit \
             (each byte outside `a-z`, `0-9`, `_` and `-` takes three); give the process a shorter name",
            name.len()
        ));
    }
    Ok(name)
}

/// The key whose file name stem is `name`; `None` for a name that
/// [`encode`] does not make (a file that is not a journal's).
pub(super) fn decode(name: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(name.len());
    let mut rest = name.bytes();
    while let Some(byte) = rest.next() {
        match byte {
            b'%' => {
                let high = unhex(rest.next()?)?;
                let low = unhex(rest.next()?)?;
                bytes.push(high << 4 | low);
            }
            b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' => bytes.push(byte),
            _ => return None,
        }
    }
    let key = String::from_utf8(bytes).ok()?;
    // Only the one spelling `encode` makes: `%61` for `a` is someone else's.
    (encode(&key).ok()? == name).then_some(key)
}

fn hex(nibble: u8) -> char {
    char::from(b"0123456789ABCDEF"[usize::from(nibble)])
}

fn unhex(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::{decode, encode};

    #[test]
    fn plain_keys_stay_readable() {
        assert_eq!(encode("account-42_x").unwrap(), "account-42_x");
        assert_eq!(encode("Worker[0]").unwrap(), "%57orker%5B0%5D");
        assert_eq!(encode("account/42").unwrap(), "account%2F42");
    }

    #[test]
    fn hostile_keys_stay_in_the_directory_and_round_trip() {
        let keys = [
            "",
            ".",
            "..",
            "../x",
            "a/b",
            "/etc/passwd",
            "a\\b",
            "C:x",
            "x.log",
            "x.snap",
            "a\0b",
            "LOCK",
            "é",
            "日本語",
            "🦀",
            "%",
            "%41",
            "a b",
            "A",
            "a",
        ];
        let mut names = std::collections::HashSet::new();
        for key in keys {
            let name = encode(key).unwrap();
            assert!(
                name.bytes()
                    .all(|byte| byte.is_ascii_alphanumeric() || byte == b'%' || byte == b'_' || byte == b'-'),
                "{key:?} → {name:?}"
            );
            assert_eq!(decode(&name).as_deref(), Some(key), "{key:?} → {name:?}");
            // Distinct even where the file system ignores case.
            assert!(names.insert(name.to_lowercase()), "{key:?} collides");
        }
    }

    #[test]
    fn names_the_store_did_not_make_decode_to_nothing() {
        for name in ["LOCK", "a.b", "%4", "%zz", "%61", "%e9", "%FF"] {
            assert_eq!(decode(name), None, "{name:?}");
        }
    }

    #[test]
    fn a_key_too_long_for_a_file_name_is_refused_saying_so() {
        assert!(encode(&"a".repeat(246)).is_ok());
        let error = encode(&"a".repeat(247)).unwrap_err();
        assert!(error.contains("shorter name"), "{error}");
        assert!(encode(&"/".repeat(83)).is_err());
    }
}
