//! Handlers may be `fn` or `async fn` and take `&self` or `&mut self`, in
//! every combination.

use std::time::Duration;

use phyx::prelude::*;

#[derive(Default)]
pub struct Counter {
    count: u64,
}

#[process]
impl Counter {
    #[public]
    pub fn add(&mut self, by: u64) -> u64 {
        self.count += by;
        self.count
    }

    #[public]
    pub fn get(&self) -> u64 {
        self.count
    }

    #[public]
    pub async fn add_later(&mut self, ctx: &mut Ctx<Self>, by: u64) -> u64 {
        ctx.sleep(Duration::from_millis(1)).await;
        self.count += by;
        self.count
    }

    #[public]
    pub async fn get_later(&self, ctx: &mut Ctx<Self>) -> u64 {
        ctx.sleep(Duration::from_millis(1)).await;
        self.count
    }

    /// `async` without ctx, with a `mut` binding and an unnamed argument.
    #[public]
    pub async fn double(&mut self, mut times: u32, _: bool) -> u64 {
        while times > 0 {
            self.count *= 2;
            times -= 1;
        }
        self.count
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let system = System::new();
    let counter: CounterRef = system.spawn(Counter::default);
    assert_eq!(counter.add(2).await.unwrap(), 2);
    assert_eq!(counter.add_later(3).await.unwrap(), 5);
    assert_eq!(counter.get().await.unwrap(), 5);
    assert_eq!(counter.get_later().await.unwrap(), 5);
    assert_eq!(counter.double(2, true).await.unwrap(), 20);
    counter.add(1).send().unwrap();
    assert_eq!(counter.get_later().await.unwrap(), 21);
    system.shutdown().await;
}
