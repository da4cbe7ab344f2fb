use phyx::prelude::*;

#[derive(Default)]
pub struct Journal {
    entries: Vec<u64>,
}

#[process(remote, durable = false)]
impl Journal {
    #[public]
    pub fn record(&mut self, entry: u64) {
        self.entries.push(entry);
    }
}

fn main() {}
