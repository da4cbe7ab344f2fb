use phyx::prelude::*;

struct Account;

#[process]
impl Account {
    #[public]
    #[validate(with = |cents: &u64| if *cents > 0 { Ok(()) } else { Err("zero") })]
    fn deposit(&mut self, cents: u64) {
        let _ = cents;
    }
}

fn main() {}
