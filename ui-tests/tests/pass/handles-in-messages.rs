//! Handles travel in messages, also inside the user's own types and in
//! both directions between two processes, and a process replies with its
//! own handle: none of it trips the check that what crosses between tasks
//! is `Send`.

use phyx::prelude::*;

pub struct Introduction {
    pub pong: PongRef,
}

pub struct Ball {
    pub from: Vec<PingRef>,
    pub on_return: Option<Box<dyn Fn(PingRef) -> u32 + Send + Sync>>,
}

#[derive(Default)]
pub struct Ping {
    partner: Option<PongRef>,
}

#[process]
impl Ping {
    #[public]
    pub fn meet(&mut self, introduction: Introduction) {
        self.partner = Some(introduction.pong);
    }

    #[public]
    pub fn me(&self, ctx: &mut Ctx<Self>) -> (PingRef, Option<PongRef>) {
        (ctx.myself(), self.partner.clone())
    }

    #[public]
    pub fn shape(&self, scale: fn(PongRef) -> u32, extra: Box<dyn FnOnce(PingRef) + Send>) -> u32 {
        drop((scale, extra));
        1
    }
}

#[derive(Default)]
pub struct Pong {
    hits: u32,
}

#[process]
impl Pong {
    #[public]
    pub fn hit(&mut self, ball: Ball) -> Option<Ball> {
        self.hits += u32::try_from(ball.from.len()).unwrap();
        Some(ball)
    }

    #[public]
    pub fn serve(&self, ping: PingRef) -> phyx::Call<(PingRef, Option<PongRef>), PingRef> {
        ping.me()
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let system = System::new();
    let ping: PingRef = system.spawn(Ping::default);
    let pong: PongRef = system.spawn(Pong::default);
    ping.meet(Introduction { pong: pong.clone() }).await.unwrap();
    let ball = Ball {
        from: vec![ping.clone()],
        on_return: Some(Box::new(|_| 1)),
    };
    let ball = pong.hit(ball).await.unwrap().unwrap();
    assert_eq!(ball.on_return.map(|f| f(ping.clone())), Some(1));
    let (me, partner) = pong.serve(ping.clone()).await.unwrap().await.unwrap();
    assert_eq!(me, ping);
    assert_eq!(partner, Some(pong));
    system.shutdown().await;
}
