use phyx::prelude::*;

fn positive(cents: &u64) -> Result<(), String> {
    if *cents > 0 { Ok(()) } else { Err("must be positive".into()) }
}

struct Account;

#[process]
impl Account {
    #[on_start]
    #[validate(with = positive)]
    fn start(&mut self) {}

    #[public]
    fn balance(&self) -> u64 {
        0
    }
}

fn main() {}
