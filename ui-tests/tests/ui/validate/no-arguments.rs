use phyx::prelude::*;

fn anything() -> Result<(), String> {
    Ok(())
}

struct Account;

#[process]
impl Account {
    #[public]
    #[validate(with = anything)]
    fn balance(&self) -> u64 {
        0
    }
}

fn main() {}
