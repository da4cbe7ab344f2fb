//! Ping-pong: two processes send a ball back and forth a fixed number of
//! times. Every hit is a tell carrying the sender's handle, so the other
//! side knows where to return it. The caller's ask to serve is answered
//! later, once the rally is over: `serve` keeps its `Reply` and returns at
//! once, so Ping's mailbox keeps flowing while the balls fly.
//!
//! Run with `cargo run --example ping_pong`.

use phyx::prelude::*;
use phyx::{CallError, Reply, SendError};

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

/// A rally in progress: where to hit, for how long, whom to answer.
struct Rally {
    pong: PongRef,
    rounds: u32,
    done: Reply<u32>,
}

#[derive(Default)]
pub struct Ping {
    hits: u32,
    rally: Option<Rally>,
}

#[process]
impl Ping {
    /// Starts a rally of `rounds` balls with `pong`; the caller gets the
    /// last ball's number once it is back. If the first ball cannot be
    /// hit, `done` is dropped unsent and the caller hears
    /// `CallError::ReplyDropped`.
    #[public]
    pub fn serve(&mut self, ctx: &mut Ctx<Self>, pong: PongRef, rounds: u32, done: Reply<u32>) {
        if pong.ball(1, ctx.myself()).send().is_ok() {
            self.rally = Some(Rally { pong, rounds, done });
        }
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
            rally.done.send(n);
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
    let last_ball = ping.serve(pong.clone(), rounds).await?;
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
