use phyx::prelude::*;

#[derive(Debug)]
pub struct Overdrawn {
    pub short_by: u64,
}

#[derive(Default)]
pub struct Account {
    balance: u64,
}

#[process(remote)]
impl Account {
    #[public]
    pub fn withdraw(&mut self, amount: u64) -> Result<u64, Overdrawn> {
        if amount > self.balance {
            return Err(Overdrawn { short_by: amount - self.balance });
        }
        self.balance -= amount;
        Ok(self.balance)
    }
}

fn main() {}
