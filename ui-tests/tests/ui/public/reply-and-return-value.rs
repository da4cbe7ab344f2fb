use phyx::prelude::*;

pub struct Fetcher;

#[process]
impl Fetcher {
    #[public]
    pub fn fetch(&mut self, url: String, reply: Reply<String>) -> bool {
        reply.send(url);
        true
    }
}

fn main() {}
