//! Wired siblings: a `#[child]` method that takes the handles of the
//! children declared before it, valid across every restart. On virtual
//! time.

use std::collections::HashMap;
use std::time::Duration;

use phyx::prelude::*;
use phyx_testkit::TestSystem;

const SECOND: Duration = Duration::from_secs(1);

/// Fetches values from "upstream", numbering its fetches since it started.
struct Fetcher {
    source: &'static str,
    fetches: u32,
}

#[process]
impl Fetcher {
    #[public]
    fn fetch(&mut self, key: String) -> String {
        self.fetches += 1;
        format!("{key} from {} (fetch {})", self.source, self.fetches)
    }

    #[public]
    fn crash(&self) {
        panic!("fetcher crashed");
    }
}

/// Caches what its fetcher fetched.
struct Cache {
    fetcher: FetcherRef,
    entries: HashMap<String, String>,
}

#[process]
impl Cache {
    #[public]
    async fn get(&mut self, key: String) -> Result<String, CallError> {
        if let Some(value) = self.entries.get(&key) {
            return Ok(value.clone());
        }
        let value = self.fetcher.fetch(key.clone()).await?;
        self.entries.insert(key, value.clone());
        Ok(value)
    }

    #[public]
    fn fetcher_id(&self) -> phyx::ProcessId {
        self.fetcher.id()
    }

    #[public]
    fn crash(&self) {
        panic!("cache crashed");
    }
}

macro_rules! store {
    ($name:ident, $($options:tt)*) => {
        struct $name;

        #[supervisor($($options)*)]
        impl $name {
            #[child(backoff(initial = "1s"))]
            fn fetcher(&self) -> Fetcher {
                Fetcher { source: "upstream", fetches: 0 }
            }

            #[child(backoff(initial = "1s"))]
            fn cache(&self, fetcher: FetcherRef) -> Cache {
                Cache { fetcher, entries: HashMap::new() }
            }
        }
    };
}

store!(OneForOneStore, strategy = one_for_one, max_restarts = 10, within = "1m");
store!(OneForAllStore, strategy = one_for_all, max_restarts = 10, within = "1m");

#[tokio::test]
async fn the_cache_asks_the_fetcher_through_the_injected_handle() {
    let t = TestSystem::new();
    let store = t.system().spawn(|| OneForOneStore);
    let cache = store.cache();
    assert_eq!(cache.fetcher_id().await, Ok(store.fetcher().id()));
    assert_eq!(cache.get("a".into()).await, Ok(Ok("a from upstream (fetch 1)".into())));
    assert_eq!(
        cache.get("a".into()).await,
        Ok(Ok("a from upstream (fetch 1)".into())),
        "cached"
    );
    assert_eq!(cache.get("b".into()).await, Ok(Ok("b from upstream (fetch 2)".into())));
}

#[tokio::test]
async fn after_the_fetcher_restarts_the_caches_handle_still_reaches_it() {
    let t = TestSystem::new();
    let store = t.system().spawn(|| OneForOneStore);
    let cache = store.cache();
    assert_eq!(cache.get("a".into()).await, Ok(Ok("a from upstream (fetch 1)".into())));
    assert!(matches!(store.fetcher().crash().await, Err(CallError::Panicked { .. })));
    t.advance(SECOND).await;
    // The cache was not restarted (it still has "a"), and the fetcher it
    // reaches is the new instance (its count starts again).
    assert_eq!(cache.get("a".into()).await, Ok(Ok("a from upstream (fetch 1)".into())));
    assert_eq!(cache.get("b".into()).await, Ok(Ok("b from upstream (fetch 1)".into())));
    assert_eq!(t.events().restarts_of("cache").len(), 0);
}

#[tokio::test]
async fn after_a_one_for_all_restart_both_are_rebuilt_and_still_wired() {
    let t = TestSystem::new();
    let store = t.system().spawn(|| OneForAllStore);
    let cache = store.cache();
    assert_eq!(cache.get("a".into()).await, Ok(Ok("a from upstream (fetch 1)".into())));
    assert!(matches!(cache.crash().await, Err(CallError::Panicked { .. })));
    t.advance(SECOND).await;
    // Both fresh: the cache forgot "a", the fetcher counts from 1 again.
    assert_eq!(cache.get("a".into()).await, Ok(Ok("a from upstream (fetch 1)".into())));
    assert_eq!(cache.fetcher_id().await, Ok(store.fetcher().id()));
    assert_eq!(t.events().restarts_of("fetcher").len(), 1);
    assert_eq!(t.events().restarts_of("cache").len(), 1);
}

/// Two fetchers of one type: the cache's parameter names the one it takes.
struct Failover;

#[supervisor]
impl Failover {
    #[child]
    fn primary(&self) -> Fetcher {
        Fetcher {
            source: "primary",
            fetches: 0,
        }
    }

    #[child]
    fn backup(&self) -> Fetcher {
        Fetcher {
            source: "backup",
            fetches: 0,
        }
    }

    #[child]
    fn cache(&self, backup: FetcherRef) -> Cache {
        Cache {
            fetcher: backup,
            entries: HashMap::new(),
        }
    }
}

#[tokio::test]
async fn among_siblings_of_one_type_the_parameters_name_picks_one() {
    let t = TestSystem::new();
    let failover = t.system().spawn(|| Failover);
    assert_eq!(failover.cache().fetcher_id().await, Ok(failover.backup().id()));
    assert_eq!(
        failover.cache().get("a".into()).await,
        Ok(Ok("a from backup (fetch 1)".into()))
    );
}
