use phyx::prelude::*;

fn positive(cents: &u64) -> Result<(), String> {
    if *cents > 0 { Ok(()) } else { Err("must be positive".into()) }
}

struct Account;

#[process]
impl Account {
    #[public]
    #[validate(with = positive)]
    #[validate(with = positive)]
    fn deposit(&mut self, cents: u64) {
        let _ = cents;
    }
}

fn main() {}
