//! A supervisor without `#[child]`ren: dynamic children only, through
//! `Supervisor` (in the prelude), from a private supervisor type.

use phyx::prelude::*;

#[derive(Default)]
struct Session;

#[process]
impl Session {
    #[public]
    fn ping(&self) {}
}

struct Server;

#[supervisor(max_restarts = 10, within = "1s")]
impl Server {}

fn main() {
    let _ = |server: ServerRef| -> Result<SessionRef, phyx::ChildError> {
        let _ = server.children();
        server.start_child(Session::default)
    };
}
