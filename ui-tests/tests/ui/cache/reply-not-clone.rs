use phyx::prelude::*;

struct Report;

struct Store;

#[process]
impl Store {
    #[public]
    #[cache(ttl = "30s")]
    fn report(&self) -> Report {
        Report
    }
}

fn main() {}
