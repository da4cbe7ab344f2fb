//! `#[trace]` in every supported shape: sync and async handlers, `&self`
//! and `&mut self`, a context anywhere, a `Reply` (replying later), an
//! `Envelope` of a durable process, beside `#[circuit_breaker]`,
//! `#[rate_limit]` and `#[compensate]`, on a generic process, on a remote
//! one; `#[process(trace)]` on a whole impl; and generated code that
//! names nothing the user could shadow. It needs no import.
#![allow(dead_code, non_camel_case_types)]

use phyx::prelude::*;
use phyx::trace::TraceContext;
use phyx::Envelope;

#[derive(Default)]
pub struct Shop {
    stock: u64,
}

#[process]
impl Shop {
    #[public]
    #[trace]
    pub fn add(&mut self, by: u64) -> u64 {
        self.stock += by;
        self.stock
    }

    #[trace]
    #[public]
    pub async fn slow(&self, ctx: &mut Ctx<Self>) -> Option<TraceContext> {
        ctx.sleep(std::time::Duration::ZERO).await;
        phyx::trace::current()
    }

    #[public]
    #[trace]
    pub fn later(&self, reply: Reply<u64>) {
        let _ = reply.send(self.stock);
    }

    #[public]
    #[trace]
    #[circuit_breaker(failures = 3, cooldown = "1s")]
    #[rate_limit(per_second = 100)]
    #[compensate(refund)]
    pub fn charge(&mut self, key: StepKey, cents: u64) -> Result<u64, String> {
        let _ = key;
        Ok(cents)
    }

    #[public]
    pub fn refund(&mut self, key: StepKey, cents: u64) {
        let _ = (key, cents);
    }

    /// Untraced beside traced ones.
    #[public]
    pub fn stock(&self) -> u64 {
        self.stock
    }
}

pub struct Holder<T> {
    value: T,
}

#[process]
impl<T: Clone + Sync> Holder<T> {
    #[public]
    #[trace]
    pub fn get(&self) -> T {
        self.value.clone()
    }
}

#[derive(Default)]
pub struct Remote {
    count: u64,
}

#[process(remote, trace)]
impl Remote {
    #[public]
    pub fn add(&mut self, by: u64) -> u64 {
        self.count += by;
        self.count
    }

    #[public]
    pub async fn get(&self) -> u64 {
        self.count
    }
}

#[derive(Default)]
pub struct Ledger;

#[process(remote, durable)]
impl Ledger {
    #[public]
    #[trace]
    pub fn credit(&mut self, envelope: Envelope, amount: u64) {
        let _ = (envelope.id(), amount);
    }
}

mod hygiene {
    struct Result;
    struct Option;
    struct Some;
    struct None;
    struct Ok;
    struct Err;
    struct Box;
    struct String;
    struct Vec;
    struct Send;
    struct Sync;
    struct Clone;
    struct Future;
    mod core {}
    mod std {}
    mod phyx {}
    mod tracing {}

    pub struct Counter;

    #[::phyx::process(trace)]
    impl Counter {
        #[public]
        pub fn get(&self) -> u64 {
            0
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let system = System::new();
    let shop = system.spawn(Shop::default);
    assert_eq!(shop.add(2).await.unwrap(), 2);
    assert!(shop.slow().await.unwrap().is_some());
    assert_eq!(shop.later().await.unwrap(), 2);
    shop.add(1).send().unwrap();
    assert_eq!(shop.stock().await.unwrap(), 3);
    let holder = system.spawn(|| Holder { value: 7_u8 });
    assert_eq!(holder.get().await.unwrap(), 7);
    let remote = system.spawn(Remote::default);
    assert_eq!(remote.add(1).await.unwrap(), 1);
    assert_eq!(remote.get().await.unwrap(), 1);
    let counter = system.spawn(|| hygiene::Counter);
    assert_eq!(counter.get().await.unwrap(), 0);
    system.shutdown().await;
}
