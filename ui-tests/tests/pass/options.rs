//! Every `#[process(...)]` option at once, `crate = ::phyx` included.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use phyx::Process;
use phyx::prelude::*;

pub struct Flaky {
    builds: u32,
}

#[process(
    crate = ::phyx,
    name = "flaky",
    mailbox = 8,
    overflow = drop_oldest,
    restart = permanent,
    backoff(initial = "1ms", max = "20ms", factor = 3, jitter = 0.5),
    max_restarts = 3,
    within = "1m30s",
    shutdown = "250ms",
)]
impl Flaky {
    #[public]
    pub fn builds(&self) -> u32 {
        self.builds
    }

    #[public]
    pub fn crash(&self) {
        panic!("crash on purpose");
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    // Keep the intended panic out of the test's output; report any other.
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info.payload().downcast_ref::<&str>() != Some(&"crash on purpose") {
            report(info);
        }
    }));

    let options = format!("{:?}", Flaky::options());
    for expected in [
        "\"flaky\"",
        "Some(8)",
        "DropOldest",
        "Permanent",
        "Some(RestartLimit { max_restarts: 3, within: 90s })",
        "Some(250ms)",
    ] {
        assert!(options.contains(expected), "{expected} missing from {options}");
    }

    let system = System::new();
    let builds = Arc::new(AtomicU32::new(0));
    let flaky: FlakyRef = system.spawn({
        let builds = builds.clone();
        move || Flaky { builds: builds.fetch_add(1, Ordering::SeqCst) + 1 }
    });
    assert_eq!(Handle::name(&flaky), "flaky");
    assert_eq!(flaky.builds().await.unwrap(), 1);
    assert!(flaky.crash().await.is_err());
    // Restarted with fresh state after the backoff; the handle still works.
    assert_eq!(flaky.builds().await.unwrap(), 2);
    system.shutdown().await;
}
