//! Tells of a traced method (`#[trace]`) against the same method
//! untraced, sent from no trace and from inside one, with no `tracing`
//! subscriber and with one that keeps spans (tracing-subscriber's
//! `Registry`, the base of every real stack, with nothing on top): what
//! tracing propagation costs a local tell.

use phyx::prelude::*;
use phyx::trace::TraceContext;

use crate::{Flavor, Meter, Run, run_on};

/// The counter, untraced.
#[derive(Debug, Default)]
pub struct Plain {
    count: u64,
}

#[process]
impl Plain {
    /// Adds `by`.
    #[public]
    pub fn increment(&mut self, by: u64) {
        self.count += by;
    }

    /// The count.
    #[public]
    pub fn get(&self) -> u64 {
        self.count
    }
}

/// The same counter, every method traced.
#[derive(Debug, Default)]
pub struct Traced {
    count: u64,
}

#[process(trace)]
impl Traced {
    /// Adds `by`.
    #[public]
    pub fn increment(&mut self, by: u64) {
        self.count += by;
    }

    /// The count.
    #[public]
    pub fn get(&self) -> u64 {
        self.count
    }
}

/// Which counter, called from where, with which subscriber.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Case {
    /// The traced counter (else the plain one).
    pub traced: bool,
    /// The sender runs in a trace (`TraceContext::in_scope`), so every
    /// tell carries a parent (else each handler starts a trace).
    pub in_trace: bool,
    /// A `Registry` installed on the runtime's thread (else none).
    pub subscriber: bool,
}

impl Case {
    /// Every case, by subscriber: untraced first, the one each traced
    /// case is measured against.
    pub const ALL: [Case; 6] = [
        Case::new(false, false, false),
        Case::new(true, false, false),
        Case::new(true, true, false),
        Case::new(false, false, true),
        Case::new(true, false, true),
        Case::new(true, true, true),
    ];

    const fn new(traced: bool, in_trace: bool, subscriber: bool) -> Self {
        Self {
            traced,
            in_trace,
            subscriber,
        }
    }

    /// The untraced case with the same subscriber.
    pub fn baseline(self) -> Case {
        Case::new(false, false, self.subscriber)
    }

    /// A label for tables.
    pub fn label(self) -> String {
        let what = match (self.traced, self.in_trace) {
            (false, _) => "tell",
            (true, false) => "tell, #[trace]",
            (true, true) => "tell, #[trace], sent in a trace",
        };
        let subscriber = if self.subscriber { "Registry" } else { "no subscriber" };
        format!("{what}, {subscriber}")
    }
}

/// One sender, `n` tells of `increment` (waiting for room), then one ask,
/// on the current-thread runtime (where the subscriber, installed on this
/// thread, sees the processes too).
pub fn tells(case: Case, n: u64) -> Run {
    let _subscriber = case
        .subscriber
        .then(|| tracing::subscriber::set_default(tracing_subscriber::registry()));
    run_on(Flavor::CurrentThread, move || async move {
        let system = System::new();
        let tells = async {
            if case.traced {
                let counter = system.spawn(Traced::default);
                counter.get().await.expect("started");
                let meter = Meter::start();
                for _ in 0..n {
                    counter.increment(1).send_wait().await.expect("queued");
                }
                assert_eq!(counter.get().await.expect("the count"), n);
                meter.stop()
            } else {
                let counter = system.spawn(Plain::default);
                counter.get().await.expect("started");
                let meter = Meter::start();
                for _ in 0..n {
                    counter.increment(1).send_wait().await.expect("queued");
                }
                assert_eq!(counter.get().await.expect("the count"), n);
                meter.stop()
            }
        };
        let run = if case.in_trace {
            TraceContext::start().in_scope(tells).await
        } else {
            tells.await
        };
        system.shutdown().await;
        run
    })
}
