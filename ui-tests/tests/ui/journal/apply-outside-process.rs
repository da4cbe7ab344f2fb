use phyx::prelude::*;

pub struct Tally {
    total: u64,
}

impl Tally {
    #[apply]
    fn apply(&mut self, n: u64) {
        self.total += n;
    }
}

fn main() {}
