// A handle whose methods are all private (or restricted) is named through
// a type alias, which takes trait impls but not inherent ones: rustc's
// error says so.
use phyx::prelude::*;

#[derive(Default)]
pub struct Counter {
    count: u64,
}

#[process]
impl Counter {
    #[public]
    fn get(&self) -> u64 {
        self.count
    }
}

impl CounterRef {
    fn twice(&self) -> phyx::Call<u64, CounterRef> {
        self.get()
    }
}

fn main() {}
