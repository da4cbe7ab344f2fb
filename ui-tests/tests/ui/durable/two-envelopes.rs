use phyx::prelude::*;
use phyx::Envelope;

#[derive(Default)]
pub struct Journal {
    entries: Vec<u64>,
}

#[process(remote, durable)]
impl Journal {
    #[public]
    pub fn record(&mut self, entry: u64, first: Envelope, second: Envelope) {
        let _ = (first, second);
        self.entries.push(entry);
    }
}

fn main() {}
