//! A private process in a module whose `pub(crate)` methods are used from
//! outside the module: the handle and messages are as visible as the most
//! visible method.

use phyx::prelude::*;

mod inner {
    use phyx::prelude::*;

    #[derive(Default)]
    pub(crate) struct Tally {
        total: i64,
    }

    #[process]
    impl Tally {
        #[public]
        pub(crate) fn add(&mut self, amount: i64) -> i64 {
            self.total += amount;
            self.helper()
        }

        /// Private to the module, but still a message.
        #[public]
        fn reset(&mut self) {
            self.total = 0;
        }

        #[public]
        pub(crate) async fn total(&self) -> i64 {
            self.total
        }

        fn helper(&self) -> i64 {
            self.total
        }
    }

    pub(crate) async fn reset(tally: &TallyRef) {
        tally.reset().await.unwrap();
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let system = System::new();
    let tally: inner::TallyRef = system.spawn(inner::Tally::default);
    assert_eq!(tally.add(5).await.unwrap(), 5);
    assert_eq!(tally.add(-2).await.unwrap(), 3);
    assert_eq!(tally.total().await.unwrap(), 3);
    inner::reset(&tally).await;
    assert_eq!(tally.total().await.unwrap(), 0);
    system.shutdown().await;
}
