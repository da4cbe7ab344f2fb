//! Processes deep in a module tree, with methods visible up to an
//! ancestor (`pub(in crate::shop)`, `pub(super)`), and a supervisor whose
//! children are private to its module.

use phyx::prelude::*;

mod shop {
    pub mod stock {
        pub mod shelf {
            use phyx::prelude::*;

            #[derive(Default)]
            pub struct Shelf {
                items: u32,
            }

            #[process]
            impl Shelf {
                #[public]
                pub(in crate::shop) fn count(&self) -> u32 {
                    self.items
                }

                #[public]
                pub(super) fn fill(&mut self, items: u32) {
                    self.items += items;
                }
            }
        }

        pub(crate) async fn fill(shelf: &shelf::ShelfRef) {
            shelf.fill(3).await.unwrap();
        }
    }

    use phyx::prelude::*;

    #[derive(Clone)]
    pub struct Store;

    #[supervisor]
    impl Store {
        #[child]
        fn shelf(&self) -> stock::shelf::Shelf {
            stock::shelf::Shelf::default()
        }
    }

    pub async fn stocked(system: &System) -> u32 {
        let store: StoreRef = system.spawn(|| Store);
        let shelf: stock::shelf::ShelfRef = store.shelf();
        stock::fill(&shelf).await;
        shelf.count().await.unwrap()
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let system = System::new();
    assert_eq!(shop::stocked(&system).await, 3);
    let store = system.spawn(|| shop::Store);
    assert_eq!(store.name(), "Store");
    system.shutdown().await;
}
