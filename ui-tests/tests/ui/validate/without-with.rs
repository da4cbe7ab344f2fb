use phyx::prelude::*;

struct Account;

#[process]
impl Account {
    #[public]
    #[validate]
    fn deposit(&mut self, cents: u64) {
        let _ = cents;
    }
}

fn main() {}
