//! Generated code names nothing the user could shadow.
#![allow(dead_code, non_camel_case_types)]

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

#[derive(Default)]
pub struct Counter {
    count: u64,
}

#[::phyx::process]
impl Counter {
    #[public]
    pub fn increment(&mut self, by: u64) -> u64 {
        self.count += by;
        self.count
    }

    #[public]
    pub async fn get(&self, ctx: &mut ::phyx::Ctx<Self>) -> u64 {
        ctx.sleep(::core::time::Duration::ZERO).await;
        self.count
    }

    #[public]
    #[idempotent(key = id, window = "1m")]
    pub fn increment_once(&mut self, id: u64, by: u64) -> ::core::option::Option<u64> {
        self.count += by;
        ::core::option::Option::Some(id)
    }

    #[on_start]
    fn start(&mut self) -> ::core::result::Result<(), &'static str> {
        ::core::result::Result::Ok(())
    }

    #[on_stop]
    fn stop(&mut self, _reason: ::phyx::StopReason) {}

    #[on_down]
    fn down(&mut self, ctx: &mut ::phyx::Ctx<Self>, _down: ::phyx::Down) {
        ctx.watch(&ctx.myself());
    }

    #[health_check]
    async fn health(&self, ctx: &mut ::phyx::Ctx<Self>) -> ::phyx::health::Health {
        ctx.sleep(::core::time::Duration::ZERO).await;
        ::phyx::health::Health::healthy()
    }
}

/// The wire form of a remote process names nothing the user could shadow
/// either.
#[derive(Default)]
pub struct Remote {
    count: u64,
}

#[::phyx::process(remote)]
impl Remote {
    #[public]
    pub fn add(&mut self, by: u64, _note: ::std::string::String) -> ::core::result::Result<u64, ::std::string::String> {
        self.count += by;
        ::core::result::Result::Ok(self.count)
    }

    #[public]
    pub fn get(&self, reply: ::phyx::Reply<::core::option::Option<u64>>) {
        reply.send(::core::option::Option::Some(self.count));
    }

    #[on_down]
    fn down(&mut self, _down: ::phyx::Down) {}

    #[health_check]
    fn health(&self) -> ::phyx::health::Health {
        ::phyx::health::Health::healthy()
    }
}

fn main() {}
