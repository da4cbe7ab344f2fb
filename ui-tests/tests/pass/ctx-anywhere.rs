//! `ctx: &mut Ctx<Self>` may come first, in the middle or last, or not at
//! all; it is never part of the handle's method.

use phyx::prelude::*;

#[derive(Default)]
pub struct Recorder {
    calls: Vec<String>,
}

#[process]
impl Recorder {
    #[public]
    pub fn first(&mut self, ctx: &mut Ctx<Self>, a: u8, b: String) -> String {
        let line = format!("first {a} {b} {}", ctx.name());
        self.calls.push(line.clone());
        line
    }

    #[public]
    pub fn middle(&mut self, a: u8, ctx: &mut Ctx<Self>, b: String) -> String {
        let line = format!("middle {a} {b} {}", ctx.name());
        self.calls.push(line.clone());
        line
    }

    #[public]
    pub async fn last(&mut self, a: u8, b: String, ctx: &mut Ctx<Self>) -> String {
        let line = format!("last {a} {b} {}", ctx.name());
        self.calls.push(line.clone());
        line
    }

    #[public]
    pub fn none(&self, a: u8, b: String) -> Vec<String> {
        let mut calls = self.calls.clone();
        calls.push(format!("none {a} {b}"));
        calls
    }

    /// The handle reached through ctx is the process's own.
    #[public]
    pub fn me(&self, ctx: &mut Ctx<Self>) -> RecorderRef {
        ctx.myself()
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let system = System::new();
    let recorder: RecorderRef = system.spawn(Recorder::default);
    assert_eq!(recorder.first(1, "a".into()).await.unwrap(), "first 1 a Recorder");
    assert_eq!(recorder.middle(2, "b".into()).await.unwrap(), "middle 2 b Recorder");
    assert_eq!(recorder.last(3, "c".into()).await.unwrap(), "last 3 c Recorder");
    assert_eq!(
        recorder.none(4, "d".into()).await.unwrap(),
        ["first 1 a Recorder", "middle 2 b Recorder", "last 3 c Recorder", "none 4 d"],
    );
    assert_eq!(recorder.me().await.unwrap(), recorder);
    system.shutdown().await;
}
