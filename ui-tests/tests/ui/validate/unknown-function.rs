use phyx::prelude::*;

struct Account;

#[process]
impl Account {
    #[public]
    #[validate(with = positve)]
    fn deposit(&mut self, cents: u64) {
        let _ = cents;
    }
}

fn main() {}
