//! `phyx::hide_caught_panics`: the panics phyx catches stay off the panic
//! hook (and so off stderr); every other panic reaches it as before.
//!
//! Its own test binary: a panic hook is global to the process.

use std::sync::{Arc, Mutex};

use phyx::prelude::*;

struct Fragile;

#[process]
impl Fragile {
    #[public]
    fn poke(&self) {
        panic!("caught by phyx");
    }

    #[public]
    fn ping(&self) -> &'static str {
        "pong"
    }
}

#[tokio::test]
async fn caught_panics_skip_the_hook_and_the_others_reach_it() {
    let reported = Arc::new(Mutex::new(Vec::<String>::new()));
    std::panic::set_hook(Box::new({
        let reported = reported.clone();
        move |info| {
            let message = info.payload_as_str().unwrap_or("a non-string payload").to_owned();
            reported.lock().unwrap().push(message);
        }
    }));
    phyx::hide_caught_panics();
    phyx::hide_caught_panics();

    let system = System::new();
    let fragile = system.spawn(|| Fragile);
    assert!(matches!(fragile.poke().await, Err(phyx::CallError::Panicked { .. })));
    assert_eq!(fragile.ping().await, Ok("pong"));
    let outside = std::thread::spawn(|| panic!("caught by nobody")).join();
    assert!(outside.is_err());
    system.shutdown().await;

    assert_eq!(*reported.lock().unwrap(), ["caught by nobody"]);
}
