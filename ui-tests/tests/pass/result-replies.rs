//! A handler's `Err` or `None` is its reply, not a call failure: the caller
//! gets `Ok(Err(..))` / `Ok(None)`.

use std::collections::HashMap;

use phyx::prelude::*;

#[derive(Default)]
pub struct Accounts {
    balances: HashMap<String, u32>,
}

#[process]
impl Accounts {
    #[public]
    pub fn deposit(&mut self, who: String, amount: u32) -> u32 {
        let balance = self.balances.entry(who).or_default();
        *balance += amount;
        *balance
    }

    #[public]
    pub fn withdraw(&mut self, who: String, amount: u32) -> Result<u32, String> {
        let balance = self.balances.get_mut(&who).ok_or_else(|| format!("no account {who}"))?;
        if *balance < amount {
            return Err(format!("{who} has only {balance}"));
        }
        *balance -= amount;
        Ok(*balance)
    }

    #[public]
    pub async fn owner_of(&self, amount: u32) -> Option<String> {
        self.balances.iter().find(|(_, balance)| **balance == amount).map(|(who, _)| who.clone())
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let system = System::new();
    let accounts: AccountsRef = system.spawn(Accounts::default);
    assert_eq!(accounts.deposit("ann".into(), 10).await.unwrap(), 10);

    let reply: Result<Result<u32, String>, phyx::CallError> = accounts.withdraw("ann".into(), 4).await;
    assert_eq!(reply.unwrap(), Ok(6));
    assert_eq!(accounts.withdraw("ann".into(), 7).await.unwrap(), Err("ann has only 6".to_owned()));
    assert_eq!(accounts.withdraw("bob".into(), 1).await.unwrap(), Err("no account bob".to_owned()));

    assert_eq!(accounts.owner_of(6).await.unwrap(), Some("ann".to_owned()));
    assert_eq!(accounts.owner_of(7).await.unwrap(), None);
    system.shutdown().await;
}
