//! Start and stop hooks in every supported shape: sync or async, returning
//! `()` or `Result<(), E>`, with or without ctx, with or without the stop
//! reason, parameters in either order.

use std::sync::{Arc, Mutex};

use phyx::StopReason;
use phyx::prelude::*;

type Log = Arc<Mutex<Vec<String>>>;

fn push(log: &Log, line: impl Into<String>) {
    log.lock().unwrap().push(line.into());
}

pub struct Plain {
    log: Log,
}

#[process]
impl Plain {
    #[on_start]
    fn start(&mut self) {
        push(&self.log, "plain start");
    }

    #[on_stop]
    fn stop(&mut self) {
        push(&self.log, "plain stop");
    }

    #[public]
    pub fn ping(&self) {}
}

pub struct Fallible {
    log: Log,
}

#[process]
impl Fallible {
    #[on_start]
    async fn start(&mut self, ctx: &mut Ctx<Self>) -> Result<(), String> {
        ctx.sleep(std::time::Duration::from_millis(1)).await;
        push(&self.log, format!("fallible start {}", ctx.name()));
        Ok(())
    }

    #[on_stop]
    fn stop(&mut self, reason: StopReason, ctx: &mut Ctx<Self>) {
        push(&self.log, format!("fallible stop {} {reason}", ctx.name()));
    }

    #[public]
    pub fn halt(&self, ctx: &mut Ctx<Self>) {
        ctx.stop();
    }
}

pub struct Async {
    log: Log,
}

#[process]
impl Async {
    #[on_start]
    fn start(&mut self, ctx: &mut Ctx<Self>) -> Result<(), std::fmt::Error> {
        push(&self.log, format!("async start {}", ctx.name()));
        Ok(())
    }

    #[on_stop]
    async fn stop(&mut self, ctx: &mut Ctx<Self>, reason: StopReason) {
        ctx.sleep(std::time::Duration::from_millis(1)).await;
        push(&self.log, format!("async stop {reason}"));
    }

    #[public]
    pub fn ping(&self) {}
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let log = Log::default();
    let system = System::new();

    let plain: PlainRef = system.spawn({
        let log = log.clone();
        move || Plain { log: log.clone() }
    });
    plain.ping().await.unwrap();
    Handle::stop(&plain).await;

    let fallible: FallibleRef = system.spawn({
        let log = log.clone();
        move || Fallible { log: log.clone() }
    });
    fallible.halt().await.unwrap();
    while Handle::status(&fallible) != phyx::Status::Stopped {
        tokio::task::yield_now().await;
    }

    let asynchronous: AsyncRef = system.spawn({
        let log = log.clone();
        move || Async { log: log.clone() }
    });
    asynchronous.ping().await.unwrap();
    system.shutdown().await;

    assert_eq!(
        *log.lock().unwrap(),
        [
            "plain start",
            "plain stop",
            "fallible start Fallible",
            "fallible stop Fallible normal stop",
            "async start Async",
            "async stop shutdown",
        ],
    );
}
