//! DESIGN's supervisor: a plain struct, no derives, spawned with `|| Shop`.

use phyx::prelude::*;

#[derive(Default)]
pub struct Inventory {
    items: u32,
}

#[process]
impl Inventory {
    #[public]
    pub fn add(&mut self, n: u32) -> u32 {
        self.items += n;
        self.items
    }
}

/// Not `Clone`, not `Sync`: it holds a `Cell`.
pub struct Shop {
    opened: std::cell::Cell<u32>,
}

#[supervisor(strategy = one_for_all, max_restarts = 3, within = "5s")]
impl Shop {
    #[child]
    pub fn inventory(&self) -> Inventory {
        self.opened.set(self.opened.get() + 1);
        Inventory::default()
    }
}

struct Plain;

#[supervisor]
impl Plain {
    #[child]
    fn inventory(&self) -> Inventory {
        Inventory::default()
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let system = System::new();
    let shop = system.spawn(|| Shop {
        opened: std::cell::Cell::new(0),
    });
    let plain = system.spawn(|| Plain);
    assert_eq!(shop.inventory().add(2).await.unwrap(), 2);
    assert_eq!(plain.inventory().add(1).await.unwrap(), 1);
    system.shutdown().await;
}
