//! A heartbeat: a process that schedules a ping to itself every second.
//!
//! Every timer reads the system's clock, so the test of this example runs
//! it on virtual time: an hour of heartbeats in milliseconds.
//!
//! Run with `cargo run --example heartbeat` (about three seconds).

use std::time::{Duration, Instant};

use phyx::prelude::*;
use phyx::{CallError, SendError};

pub const INTERVAL: Duration = Duration::from_secs(1);

#[derive(Default)]
pub struct Heartbeat {
    last: Option<Instant>,
    gaps: Vec<Duration>,
}

#[process]
impl Heartbeat {
    /// Schedules the first ping, at every start.
    #[on_start]
    fn begin(&mut self, ctx: &mut Ctx<Self>) -> Result<(), SendError> {
        self.last = Some(ctx.now());
        ctx.myself().ping().send_after(INTERVAL)?;
        Ok(())
    }

    /// One beat: note the time since the last one, schedule the next.
    #[public]
    pub fn ping(&mut self, ctx: &mut Ctx<Self>) -> Result<(), SendError> {
        let now = ctx.now();
        if let Some(last) = self.last.replace(now) {
            let gap = now - last;
            println!("heartbeat: {} ms since the last ping", gap.as_millis());
            self.gaps.push(gap);
        }
        ctx.myself().ping().send_after(INTERVAL)?;
        Ok(())
    }

    /// The time between consecutive beats so far.
    #[public]
    pub fn gaps(&self) -> Vec<Duration> {
        self.gaps.clone()
    }
}

/// Lets the heartbeat beat `beats` times, then stops it; returns the gaps.
pub async fn run(system: &System, beats: u32) -> Result<Vec<Duration>, CallError> {
    let heartbeat: HeartbeatRef = system.spawn(Heartbeat::default);
    // Half an interval past the last beat, on the system's clock.
    system.clock().sleep(INTERVAL * beats + INTERVAL / 2).await;
    let gaps = heartbeat.gaps().await?;
    heartbeat.stop().await; // the next scheduled ping finds it stopped
    Ok(gaps)
}

#[tokio::main]
async fn main() -> Result<(), CallError> {
    let system = System::new();
    let gaps = run(&system, 3).await?;
    println!("{} beats", gaps.len());
    system.shutdown().await;
    Ok(())
}
