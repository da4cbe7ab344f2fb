//! Restricted methods on processes of every visibility: the handle and the
//! messages can be named as far as the widest method reaches, whatever
//! the process type's own visibility.

use phyx::prelude::*;

mod library {
    use phyx::prelude::*;

    /// `pub`, with `pub(crate)`, `pub(super)` and private methods.
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

        #[public]
        fn close(&mut self) {
            self.balance = 0;
        }
    }

    pub(crate) async fn close(account: &AccountRef) {
        account.close().await.unwrap();
    }

    /// `pub(crate)`, with private methods only.
    #[derive(Default)]
    pub(crate) struct Ledger {
        entries: Vec<i64>,
    }

    #[process]
    impl Ledger {
        #[public]
        fn record(&mut self, entry: i64) -> usize {
            self.entries.push(entry);
            self.entries.len()
        }
    }

    pub(crate) async fn record_twice(ledger: &<Ledger as phyx::Process>::Ref) -> usize {
        ledger.record(1).await.unwrap();
        ledger.record(2).await.unwrap()
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

    /// `pub`, with methods `pub(super)` and `pub(crate)` declared in either
    /// order: the handle is `pub(crate)`.
    #[derive(Default)]
    pub struct Report;

    #[process]
    impl Report {
        #[public]
        pub(super) fn lines(&self) -> u32 {
            1
        }

        #[public]
        pub(crate) fn pages(&self) -> u32 {
            2
        }
    }
}

fn takes_report(report: &library::ReportRef) -> &library::ReportRef {
    report
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let system = System::new();
    let account: library::AccountRef = system.spawn(library::Account::default);
    assert_eq!(account.deposit(5).await.unwrap(), 5);
    assert_eq!(account.balance().await.unwrap(), 5);
    library::close(&account).await;
    assert_eq!(account.balance().await.unwrap(), 0);

    let ledger = system.spawn(library::Ledger::default);
    assert_eq!(library::record_twice(&ledger).await, 2);

    let audit: library::AuditRef = library::audit(&system);
    assert_eq!(audit.see().await.unwrap(), 1);

    let report: library::ReportRef = system.spawn(|| library::Report);
    let report = takes_report(&report);
    assert_eq!(report.lines().await.unwrap() + report.pages().await.unwrap(), 3);
    system.shutdown().await;
}
