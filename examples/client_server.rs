//! Client/server with request ids. The client tags each request with an
//! id; the server, a pool of three members, works on them at once, and
//! each reply arrives when its work is done: out of order. The client
//! matches every reply to its request by id, and answers its own caller
//! later, once every reply is in.
//!
//! Run with `cargo run --example client_server`.

use std::collections::BTreeMap;
use std::time::Duration;

use phyx::prelude::*;
use phyx::{CallError, Reply, SendError};

#[derive(Default)]
pub struct Server;

#[process]
impl Server {
    /// Works on `command`, then tells the reply to `reply_to`, under `id`.
    #[public]
    pub async fn request(
        &self,
        ctx: &mut Ctx<Self>,
        id: u64,
        command: String,
        reply_to: ClientRef,
    ) -> Result<(), SendError> {
        let (work, result) = match command.as_str() {
            "report" => (300, "report ready".to_owned()),
            "search" => (200, "3 hits".to_owned()),
            "ping" => (100, "pong".to_owned()),
            other => (0, format!("unknown command {other:?}")),
        };
        ctx.sleep(Duration::from_millis(work)).await;
        reply_to.response(id, result).send()
    }
}

/// A reply, matched to the request it answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched {
    pub id: u64,
    pub command: String,
    pub result: String,
}

pub struct Client {
    next_id: u64,
    pending: BTreeMap<u64, String>,
    matched: Vec<Matched>,
    done: Option<Reply<Vec<Matched>>>,
}

#[process]
impl Client {
    /// Sends every command to `server`; the caller gets the replies, in
    /// the order they arrived, once all are in. The client keeps `done`
    /// and returns at once, so that it can take the server's responses. A
    /// request the server refuses drops `done` unsent: the caller hears
    /// `CallError::ReplyDropped`.
    #[public]
    pub fn send_all(
        &mut self,
        ctx: &mut Ctx<Self>,
        server: ServerRef,
        commands: Vec<String>,
        done: Reply<Vec<Matched>>,
    ) {
        for command in commands {
            let id = self.next_id;
            self.next_id += 1;
            println!("client -> #{id} {command}");
            if server.request(id, command.clone(), ctx.myself()).send().is_err() {
                return;
            }
            self.pending.insert(id, command);
        }
        if self.pending.is_empty() {
            done.send(Vec::new());
        } else {
            self.done = Some(done);
        }
    }

    /// A reply from the server: matched to its request by `id`.
    #[public]
    pub fn response(&mut self, id: u64, result: String) {
        let Some(command) = self.pending.remove(&id) else {
            println!("client <- #{id}: no such request");
            return;
        };
        println!("client <- #{id} ({command}): {result}");
        self.matched.push(Matched { id, command, result });
        if self.pending.is_empty() {
            if let Some(done) = self.done.take() {
                done.send(std::mem::take(&mut self.matched));
            }
        }
    }
}

/// Sends three requests; returns the replies in the order they arrived.
pub async fn run(system: &System) -> Result<Vec<Matched>, CallError> {
    let server: ServerRef = system.pool(3, Server::default);
    let client: ClientRef = system.spawn(|| Client {
        next_id: 100,
        pending: BTreeMap::new(),
        matched: Vec::new(),
        done: None,
    });
    let commands = ["report", "search", "ping"].map(String::from).to_vec();
    client.send_all(server, commands).await
}

#[tokio::main]
async fn main() -> Result<(), CallError> {
    let system = System::new();
    run(&system).await?;
    system.shutdown().await;
    Ok(())
}
