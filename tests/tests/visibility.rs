//! Processes of every visibility, with methods of every visibility, raise
//! no warning, even under clippy's pedantic lints (checked by `cargo
//! clippy --all-targets -- -D warnings` in CI), and work.
#![deny(warnings, clippy::pedantic, missing_docs, unreachable_pub)]

use phyx::prelude::*;

/// Processes of a library's public module.
pub mod public {
    use phyx::prelude::*;

    /// Public, with private methods only: its handle is named in this
    /// module only.
    #[derive(Default)]
    pub struct Counter {
        count: u64,
    }

    /// Private, as the method that takes it.
    struct Step(u64);

    impl Step {
        fn into_inner(self) -> u64 {
            self.0
        }
    }

    #[process]
    impl Counter {
        #[public]
        fn add(&mut self, step: Step) {
            self.count += step.into_inner();
        }

        #[public]
        fn get(&self) -> u64 {
            self.count
        }
    }

    /// Adds `by` twice and returns the count.
    ///
    /// # Errors
    ///
    /// When the counter is gone.
    pub async fn add_twice(counter: &<Counter as phyx::Process>::Ref, by: u64) -> Result<u64, phyx::CallError> {
        let counter: &CounterRef = counter;
        counter.add(Step(by)).await?;
        counter.add(Step(by)).await?;
        counter.get().await
    }

    /// Public, with restricted methods.
    #[derive(Default)]
    pub struct Account {
        balance: i64,
    }

    #[process]
    impl Account {
        #[public]
        pub(crate) fn deposit(&mut self, amount: i64) -> i64 {
            self.balance += amount;
            self.balance
        }

        #[public]
        pub(super) fn balance(&self) -> i64 {
            self.balance
        }
    }

    /// Public, with public methods: a public handle.
    #[derive(Default)]
    pub struct Open {
        opened: u32,
    }

    #[process]
    impl Open {
        /// Opens once more.
        #[public]
        pub fn open(&mut self) -> u32 {
            self.opened += 1;
            self.opened
        }
    }

    /// Private, with a `pub(crate)` method: its handle leaves the module.
    #[derive(Default)]
    struct Audit {
        seen: u32,
    }

    #[process]
    impl Audit {
        #[public]
        pub(crate) fn see(&mut self) -> u32 {
            self.seen += 1;
            self.seen
        }
    }

    pub(crate) fn audit(system: &System) -> AuditRef {
        system.spawn(Audit::default)
    }

    /// Generic, with private methods.
    #[derive(Default)]
    pub struct Slots<T, const N: usize> {
        items: Vec<T>,
    }

    #[process]
    impl<T: Sync, const N: usize> Slots<T, N> {
        #[public]
        fn put(&mut self, item: T) -> bool {
            if self.items.len() == N {
                return false;
            }
            self.items.push(item);
            true
        }
    }

    /// Puts `item` in `slots`.
    ///
    /// # Errors
    ///
    /// When the slots are gone.
    pub async fn put<T: Send + Sync + 'static, const N: usize>(
        slots: &<Slots<T, N> as phyx::Process>::Ref,
        item: T,
    ) -> Result<bool, phyx::CallError> {
        let slots: &SlotsRef<T, N> = slots;
        slots.put(item).await
    }

    /// A public supervisor with a private child.
    #[derive(Clone)]
    pub struct Shop {
        start: u64,
    }

    impl Shop {
        /// A shop whose counter starts at `start`.
        #[must_use]
        pub fn new(start: u64) -> Self {
            Self { start }
        }
    }

    #[supervisor]
    impl Shop {
        #[child]
        fn counter(&self) -> Counter {
            Counter { count: self.start }
        }
    }

    /// The count of the shop's counter.
    ///
    /// # Errors
    ///
    /// When the counter is gone.
    pub async fn shop_count(shop: &<Shop as phyx::Process>::Ref) -> Result<u64, phyx::CallError> {
        let shop: &ShopRef = shop;
        shop.counter().get().await
    }
}

#[tokio::test]
async fn every_shape_works() {
    let system = System::new();
    let counter = system.spawn(public::Counter::default);
    assert_eq!(public::add_twice(&counter, 2).await, Ok(4));

    let account: public::AccountRef = system.spawn(public::Account::default);
    assert_eq!(account.deposit(3).await, Ok(3));
    assert_eq!(account.balance().await, Ok(3));

    let open: public::OpenRef = system.spawn(public::Open::default);
    assert_eq!(open.open().await, Ok(1));

    assert_eq!(public::audit(&system).see().await, Ok(1));

    let slots = system.spawn(public::Slots::<String, 1>::default);
    assert_eq!(public::put(&slots, "a".to_owned()).await, Ok(true));
    assert_eq!(public::put(&slots, "b".to_owned()).await, Ok(false));

    let shop = system.spawn(|| public::Shop::new(1));
    assert_eq!(public::shop_count(&shop).await, Ok(1));
    system.shutdown().await;
}

#[tokio::test]
async fn local_processes_take_local_types() {
    #[derive(Debug, PartialEq)]
    struct Job(String);

    #[derive(Default)]
    struct Worker {
        done: u32,
    }

    #[process]
    impl Worker {
        #[public]
        fn run(&mut self, job: Job) -> Job {
            let Job(mut name) = job;
            self.done += 1;
            name.push_str(&self.done.to_string());
            Job(name)
        }
    }

    let system = System::new();
    let worker: WorkerRef = system.spawn(Worker::default);
    assert_eq!(worker.run(Job("job".to_owned())).await, Ok(Job("job1".to_owned())));
    system.shutdown().await;
}
