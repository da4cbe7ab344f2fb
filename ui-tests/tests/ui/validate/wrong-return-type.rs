use phyx::prelude::*;

fn positive(cents: &u64) -> bool {
    *cents > 0
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
