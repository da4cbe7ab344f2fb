//! A pool of CPU-heavy workers behind one handle.
//!
//! Eight jobs go to a pool of four workers; each call goes to the least
//! loaded member, so the jobs spread over the members and run in parallel
//! on the multi-thread runtime.
//!
//! Run with `cargo run --example worker_pool`.

use std::collections::BTreeMap;

use phyx::CallError;
use phyx::prelude::*;

#[derive(Default)]
pub struct Prime;

#[process]
impl Prime {
    /// The `n`th prime, by trial division: deliberately CPU-heavy. Returns
    /// the member that computed it, too.
    #[public]
    pub fn nth(&self, ctx: &mut Ctx<Self>, n: u32) -> (String, u64) {
        let mut found = 0;
        let mut candidate = 1u64;
        while found < n {
            candidate += 1;
            if (2..).take_while(|d| d * d <= candidate).all(|d| candidate % d != 0) {
                found += 1;
            }
        }
        (ctx.name().to_owned(), candidate)
    }
}

#[derive(Debug)]
pub struct Summary {
    /// `(n, the nth prime)` for each job, in order.
    pub primes: Vec<(u32, u64)>,
    /// How many jobs each member computed.
    pub per_member: BTreeMap<String, u32>,
}

/// Eight jobs: the `step`th, `2 * step`th, ... `8 * step`th primes.
pub async fn run(system: &System, step: u32) -> Result<Summary, CallError> {
    let primes: PrimeRef = system.pool(4, Prime::default);

    // Eight asks at once, each on a task of its own.
    let jobs: Vec<_> = (1..=8)
        .map(|k| tokio::spawn(primes.nth(k * step).into_future()))
        .collect();
    let mut summary = Summary {
        primes: Vec::new(),
        per_member: BTreeMap::new(),
    };
    for (k, job) in (1..=8).zip(jobs) {
        let (member, prime) = job.await.expect("the job task ran")?;
        println!("prime #{:>6} = {prime:>7} (by {member})", k * step);
        summary.primes.push((k * step, prime));
        *summary.per_member.entry(member).or_insert(0) += 1;
    }
    println!("jobs per member: {:?}", summary.per_member);
    Ok(summary)
}

#[tokio::main]
async fn main() -> Result<(), CallError> {
    let system = System::new();
    run(&system, 2_000).await?;
    system.shutdown().await;
    Ok(())
}
