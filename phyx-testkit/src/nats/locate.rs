//! Finding the `nats-server` binary, once per test binary.

use std::env::{self, consts::EXE_SUFFIX};
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use super::SERVER_VAR;

/// The oldest release the kit runs, as (major, minor): the JetStream API
/// phyx's cluster client speaks (async-nats's `server_2_10`).
const OLDEST: (u32, u32) = (2, 10);

/// Why there is no server to start.
#[derive(Debug)]
pub(crate) enum Missing {
    NotOnPath,
    NoSuchFile(PathBuf),
    Unrunnable { path: PathBuf, error: String },
    TooOld { path: PathBuf, version: String },
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotOnPath => write!(f, "no `nats-server{EXE_SUFFIX}` on PATH"),
            Self::NoSuchFile(path) => write!(f, "{SERVER_VAR}={} names no file", path.display()),
            Self::Unrunnable { path, error } => write!(f, "`{} --version` failed: {error}", path.display()),
            Self::TooOld { path, version } => write!(f, "{} is {version}", path.display()),
        }
    }
}

/// The binary to run: the one [`SERVER_VAR`] names, else `nats-server` on
/// `PATH`, if it runs and is recent enough. Looked up once: every server
/// of a test binary runs the same one.
pub(crate) fn server_binary() -> Result<&'static Path, &'static Missing> {
    static FOUND: OnceLock<Result<PathBuf, Missing>> = OnceLock::new();
    FOUND.get_or_init(find).as_ref().map(PathBuf::as_path)
}

fn find() -> Result<PathBuf, Missing> {
    let path = match env::var_os(SERVER_VAR).filter(|named| !named.is_empty()) {
        // An explicit choice is not second-guessed by a look at PATH.
        Some(named) => {
            let path = PathBuf::from(named);
            if !path.is_file() {
                return Err(Missing::NoSuchFile(path));
            }
            path
        }
        None => on_path().ok_or(Missing::NotOnPath)?,
    };
    check_version(&path)?;
    Ok(path)
}

fn on_path() -> Option<PathBuf> {
    let name = format!("nats-server{EXE_SUFFIX}");
    env::split_paths(&env::var_os("PATH")?)
        .map(|dir| dir.join(&name))
        .find(|path| path.is_file())
}

fn check_version(path: &Path) -> Result<(), Missing> {
    let unrunnable = |error: String| Missing::Unrunnable {
        path: path.to_owned(),
        error,
    };
    let output = Command::new(path)
        .arg("--version")
        .output()
        .map_err(|error| unrunnable(error.to_string()))?;
    // A pyenv shim without the package prints its complaint and exits 127.
    let printed = String::from_utf8_lossy(&output.stdout) + String::from_utf8_lossy(&output.stderr);
    let printed = printed.trim();
    if !output.status.success() {
        return Err(unrunnable(format!("{}: {printed}", output.status)));
    }
    match version(printed) {
        Some(found) if found >= OLDEST => Ok(()),
        Some(_) => Err(Missing::TooOld {
            path: path.to_owned(),
            version: printed.to_owned(),
        }),
        None => Err(unrunnable(format!("no version in {printed:?}"))),
    }
}

/// (major, minor) from what `nats-server --version` prints:
/// `nats-server: v2.15.1`.
fn version(printed: &str) -> Option<(u32, u32)> {
    let number = printed.split_whitespace().find_map(|word| word.strip_prefix('v'))?;
    let mut parts = number.split('.');
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_is_read_from_what_the_server_prints() {
        assert_eq!(version("nats-server: v2.15.1"), Some((2, 15)));
        assert_eq!(version("nats-server: v2.10.0-beta.3"), Some((2, 10)));
        assert_eq!(version("nats-server: v2.9.25"), Some((2, 9)));
        assert!(version("nats-server: v2.9.25").unwrap() < OLDEST);
        assert_eq!(version("pyenv: nats-server: command not found"), None);
    }
}
