//! A cache wired to its rate-limited fetcher through `#[child]`
//! parameters.
//!
//! `Store` supervises a `Fetcher` (two fetches a second, upstream's quota)
//! and a `Cache` that takes the fetcher's handle as a parameter of its
//! `#[child]` method. The cache serves hits itself and asks the fetcher on
//! a miss, waiting out the rate limit when upstream's quota is spent. A
//! poisoned key crashes the fetcher; its supervisor restarts it, and the
//! cache's handle, given once, reaches the new instance.
//!
//! Run with `cargo run --example cache_fetcher`.

use std::collections::HashMap;

use phyx::prelude::*;

/// Fetches values from upstream, at most two a second.
#[derive(Default)]
pub struct Fetcher {
    fetched: u32,
}

#[process]
impl Fetcher {
    /// Fetches `key` from upstream; `"poison"` crashes the fetcher.
    #[public]
    #[rate_limit(per_second = 2, burst = 2)]
    pub fn fetch(&mut self, key: String) -> String {
        assert!(key != "poison", "upstream sent garbage for {key}");
        self.fetched += 1;
        format!("value of {key}")
    }
}

/// Caches what its fetcher fetched.
pub struct Cache {
    fetcher: FetcherRef,
    entries: HashMap<String, String>,
    /// Times the cache waited for the fetcher's rate limit.
    waited: u32,
}

#[process]
impl Cache {
    /// The value of `key`, from the cache or, on a miss, from the fetcher.
    #[public]
    pub async fn get(&mut self, ctx: &mut Ctx<Self>, key: String) -> Result<String, CallError> {
        if let Some(value) = self.entries.get(&key) {
            return Ok(value.clone());
        }
        let value = loop {
            match self.fetcher.fetch(key.clone()).await {
                Err(CallError::RateLimited { retry_after, .. }) => {
                    self.waited += 1;
                    ctx.sleep(retry_after).await;
                }
                other => break other?,
            }
        };
        self.entries.insert(key, value.clone());
        Ok(value)
    }

    /// How many times the cache waited for the rate limit.
    #[public]
    pub fn waited(&self) -> u32 {
        self.waited
    }
}

/// The fetcher, then the cache wired to it.
pub struct Store;

#[supervisor(strategy = one_for_one, max_restarts = 3, within = "10s")]
impl Store {
    #[child(backoff(initial = "100ms"))]
    pub fn fetcher(&self) -> Fetcher {
        Fetcher::default()
    }

    /// Gets the fetcher's handle: declared before it, matched by type.
    #[child]
    pub fn cache(&self, fetcher: FetcherRef) -> Cache {
        Cache {
            fetcher,
            entries: HashMap::new(),
            waited: 0,
        }
    }
}

/// What the run saw.
#[derive(Debug)]
pub struct Summary {
    /// Each lookup, in order.
    pub lookups: Vec<(String, Result<String, CallError>)>,
    /// Times the cache waited for the fetcher's rate limit.
    pub waited: u32,
    /// Restarts of the fetcher.
    pub fetcher_restarts: usize,
}

pub async fn run(system: &System) -> Result<Summary, CallError> {
    let mut events = system.events();
    let store = system.spawn(|| Store);
    let cache = store.cache();
    let mut lookups = Vec::new();
    for key in ["a", "b", "a", "c", "d", "poison", "e", "b"] {
        let value = cache.get(key.to_owned()).await?;
        match &value {
            Ok(value) => println!("{key}: {value}"),
            Err(error) => println!("{key}: {error}"),
        }
        lookups.push((key.to_owned(), value));
    }
    let waited = cache.waited().await?;
    println!("the cache waited for the rate limit {waited} times");
    let mut fetcher_restarts = 0;
    while let Some(event) = events.try_recv() {
        if matches!(event.kind, phyx::event::EventKind::Restarting { .. }) && &*event.name == "fetcher" {
            println!("  event: {event}");
            fetcher_restarts += 1;
        }
    }
    Ok(Summary {
        lookups,
        waited,
        fetcher_restarts,
    })
}

#[tokio::main]
async fn main() -> Result<(), CallError> {
    // The poisoned key crashes the fetcher on purpose.
    phyx::hide_caught_panics();
    let system = System::new();
    run(&system).await?;
    system.shutdown().await;
    Ok(())
}
