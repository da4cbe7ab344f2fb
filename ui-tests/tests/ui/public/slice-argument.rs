use phyx::prelude::*;

pub struct Sink {
    received: usize,
}

#[process]
impl Sink {
    #[public]
    pub fn write(&mut self, bytes: &[u8]) {
        self.received += bytes.len();
    }
}

fn main() {}
