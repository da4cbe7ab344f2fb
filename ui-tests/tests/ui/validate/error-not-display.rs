use phyx::prelude::*;

struct Refused;

fn positive(cents: &u64) -> Result<(), Refused> {
    if *cents > 0 { Ok(()) } else { Err(Refused) }
}

struct Account;

#[process]
impl Account {
    #[public]
    #[validate(with = positive)]
    fn deposit(&mut self, cents: u64) {
        let _ = cents;
    }
}

fn main() {}
