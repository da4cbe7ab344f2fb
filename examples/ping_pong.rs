//! Ping-pong: two processes send a ball back and forth a fixed number of
//! times. Every hit is a tell carrying the sender's handle, so the other
//! side knows where to return it; a oneshot channel tells the caller when
//! the rally is over.
//!
//! Run with `cargo run --example ping_pong`.

use phyx::prelude::*;
use phyx::{CallError, SendError};
use tokio::sync::oneshot;

#[derive(Default)]
pub struct Pong {
    hits: u32,
}

#[process]
impl Pong {
    /// Returns ball `n` to whoever sent it.
    #[public]
    pub fn ball(&mut self, n: u32, from: PingRef) -> Result<(), SendError> {
        self.hits += 1;
        println!("        pong <- {n}");
        from.ball(n).send()
    }

    #[public]
    pub fn hits(&self) -> u32 {
        self.hits
    }
}

/// A rally in progress: where to hit, for how long, whom to tell.
struct Rally {
    pong: PongRef,
    rounds: u32,
    done: oneshot::Sender<u32>,
}

#[derive(Default)]
pub struct Ping {
    hits: u32,
    rally: Option<Rally>,
}

#[process]
impl Ping {
    /// Starts a rally of `rounds` balls with `pong`; `done` receives the
    /// last ball's number once it is back.
    #[public]
    pub fn serve(
        &mut self,
        ctx: &mut Ctx<Self>,
        pong: PongRef,
        rounds: u32,
        done: oneshot::Sender<u32>,
    ) -> Result<(), SendError> {
        pong.ball(1, ctx.myself()).send()?;
        self.rally = Some(Rally { pong, rounds, done });
        Ok(())
    }

    /// Ball `n` is back: hit the next one, or end the rally.
    #[public]
    pub fn ball(&mut self, ctx: &mut Ctx<Self>, n: u32) -> Result<(), SendError> {
        self.hits += 1;
        println!("ping <- {n}");
        let Some(rally) = self.rally.take() else {
            return Ok(());
        };
        if n == rally.rounds {
            let _ = rally.done.send(n); // the caller may have stopped waiting
            return Ok(());
        }
        let hit = rally.pong.ball(n + 1, ctx.myself()).send();
        self.rally = Some(rally);
        hit
    }

    #[public]
    pub fn hits(&self) -> u32 {
        self.hits
    }
}

#[derive(Debug, PartialEq, Eq)]
pub struct Summary {
    pub last_ball: u32,
    pub ping_hits: u32,
    pub pong_hits: u32,
}

pub async fn run(system: &System, rounds: u32) -> Result<Summary, CallError> {
    let ping: PingRef = system.spawn(Ping::default);
    let pong: PongRef = system.spawn(Pong::default);
    let (done, rally_over) = oneshot::channel();
    ping.serve(pong.clone(), rounds, done).await??;
    let last_ball = rally_over.await.expect("ping ends the rally");
    let summary = Summary {
        last_ball,
        ping_hits: ping.hits().await?,
        pong_hits: pong.hits().await?,
    };
    println!("{summary:?}");
    Ok(summary)
}

#[tokio::main]
async fn main() -> Result<(), CallError> {
    let system = System::new();
    run(&system, 5).await?;
    system.shutdown().await;
    Ok(())
}
