use phyx::prelude::*;

#[derive(Default)]
pub struct Counter {
    count: u64,
}

#[process]
impl Counter {
    #[public]
    pub fn get(&self) -> u64 {
        self.count
    }
}

fn main() {
    phyx::isolated::serve_if_child(|children| children.add(Counter::default));
}
