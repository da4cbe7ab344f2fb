//! A flaky worker: about one work item in ten panics, at random but
//! seeded. Each panic crashes the worker; it restarts with fresh state and
//! handles the items still queued behind the crash. A tally process counts
//! what was done; what was lost is what never reached it.
//!
//! Run with `cargo run --example flaky_worker`.

use std::collections::BTreeSet;

use phyx::prelude::*;
use phyx::{CallError, event::EventKind};

/// Counts the items the worker finished. A separate process, so the count
/// survives the worker's crashes.
#[derive(Default)]
pub struct Tally {
    done: BTreeSet<u32>,
}

#[process]
impl Tally {
    #[public]
    pub fn done(&mut self, item: u32) {
        self.done.insert(item);
    }

    #[public]
    pub fn items(&self) -> BTreeSet<u32> {
        self.done.clone()
    }
}

pub struct FlakyWorker {
    seed: u64,
    tally: TallyRef,
    /// Items this instance processed: back to 0 after every restart.
    processed: u32,
}

// One crash in ten is the normal case here: restart quickly, many times.
#[process(backoff(initial = "5ms", max = "20ms"), max_restarts = 50, within = "10s")]
impl FlakyWorker {
    #[public]
    pub fn work(&mut self, item: u32) {
        if fails(self.seed, item) {
            panic!("item {item} failed after {} items on this instance", self.processed);
        }
        self.processed += 1;
        self.tally.done(item).send().expect("the tally runs until shutdown");
    }

    /// How many items this instance has processed since it started.
    #[public]
    pub fn processed(&self) -> u32 {
        self.processed
    }
}

/// Whether `item` fails: a tenth of the items, picked by a hash of the
/// seed and the item (SplitMix64's finalizer), so a seed replays a run.
pub fn fails(seed: u64, item: u32) -> bool {
    let mut z = seed ^ u64::from(item).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) % 10 == 0
}

#[derive(Debug)]
pub struct Summary {
    pub done: BTreeSet<u32>,
    pub lost: BTreeSet<u32>,
    /// Panics the worker reported, from the system's events.
    pub crashes: usize,
    /// Items the last instance processed: those after the last crash.
    pub last_instance_processed: u32,
}

pub async fn run(system: &System, items: u32) -> Result<Summary, CallError> {
    let mut events = system.events();
    let seed = system.seed();
    let tally: TallyRef = system.spawn(Tally::default);
    let worker: FlakyWorkerRef = system.spawn({
        let tally = tally.clone();
        move || FlakyWorker {
            seed,
            tally: tally.clone(),
            processed: 0,
        }
    });

    for item in 1..=items {
        worker.work(item).send()?; // tell: queued, not waited for
    }
    // Handled after every item: the mailbox keeps its order across crashes.
    let last_instance_processed = worker.processed().await?;
    let done = tally.items().await?;
    let lost: BTreeSet<u32> = (1..=items).filter(|item| !done.contains(item)).collect();

    let mut crashes = 0;
    while let Some(event) = events.try_recv() {
        if let EventKind::Panicked { message, .. } = &event.kind {
            crashes += 1;
            println!("crash: {message}; restarting with fresh state");
        }
    }
    println!("done: {} of {items}; lost: {} {lost:?}", done.len(), lost.len());
    println!("the last instance processed {last_instance_processed} items");
    Ok(Summary {
        done,
        lost,
        crashes,
        last_instance_processed,
    })
}

#[tokio::main]
async fn main() -> Result<(), CallError> {
    // This example crashes processes on purpose: keep the panics phyx
    // catches (and reports to callers and in events) off stderr.
    phyx::hide_caught_panics();
    let system = System::builder().seed(2024).build();
    run(&system, 100).await?;
    system.shutdown().await;
    Ok(())
}
