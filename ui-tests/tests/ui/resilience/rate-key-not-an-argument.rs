use phyx::prelude::*;

struct Service;

#[process]
impl Service {
    #[public]
    #[rate_limit(per_second = 10, key = user)]
    fn call(&self, account: String) {
        let _ = account;
    }
}

fn main() {}
