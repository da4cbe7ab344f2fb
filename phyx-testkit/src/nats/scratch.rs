//! A fresh temporary directory, removed on drop (std has none).

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// A directory of its own under the system's temporary directory.
#[derive(Debug)]
pub(crate) struct Scratch {
    path: PathBuf,
}

impl Scratch {
    /// `<tmp>/<prefix>-<pid>-<n>`, created empty.
    ///
    /// # Panics
    ///
    /// If the temporary directory cannot be written to.
    pub(crate) fn new(prefix: &str) -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        loop {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let path = std::env::temp_dir().join(format!("{prefix}-{}-{n}", std::process::id()));
            // `create_dir`, not `_all`: a leftover of an earlier process
            // with the same id is skipped, never reused.
            match fs::create_dir(&path) {
                Ok(()) => return Self { path },
                Err(error) if error.kind() == ErrorKind::AlreadyExists => {}
                Err(error) => panic!("phyx-testkit: cannot create {}: {error}", path.display()),
            }
        }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // A leftover in the temporary directory is harmless; a panic in a
        // drop, during a failing test's unwinding, would abort.
        let _ = fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_is_new_and_removed_on_drop() {
        let one = Scratch::new("phyx-scratch-test");
        let two = Scratch::new("phyx-scratch-test");
        assert_ne!(one.path(), two.path());
        fs::write(one.path().join("file"), "x").unwrap();
        let path = one.path().to_owned();
        drop(one);
        assert!(!path.exists());
        assert!(two.path().is_dir());
    }
}
